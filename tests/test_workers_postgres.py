"""Many `classvault worker` processes on one PostgreSQL database: real processes, real jobs.

- Jobs are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` (django-tasks-db's
  ``get_locked``) inside the claim's transaction: two workers never get the same job.
  Proven from the outside: each worker logs every job it starts ("Task id=... RUNNING"),
  and across both logs each of 1,000 jobs starts exactly once.
- A worker killed (SIGKILL) mid-transcode leaves its lease; once it lapses, another worker
  queues the job again (``recordings_resume``) and finishes it.
- The retention schedule runs once per slot however many workers tick (``RetentionRun``'s
  primary key is the slot).

PostgreSQL only: on SQLite (the embedded default) one worker runs, in `classvault serve`.
"""

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_tasks_db.models import DBTaskResult

from classvault.audit.models import AuditEvent
from classvault.core import clock
from classvault.core.home import home_prepare
from classvault.people.services import guidelines_acknowledge
from classvault.recordings.jobs import process_recording
from classvault.recordings.models import Recording
from classvault.retention.models import RetentionRun
from classvault.vault.selectors import vault_open
from support.liveserver import _free_port, child_pids, clean_env
from support.media import make_video
from support.personas import World, login
from support.recordings import upload

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="many workers need PostgreSQL (make test's 2nd pass); SQLite runs one worker",
)

STARTED = re.compile(r"Task id=(\S+) path=\S+ state=RUNNING")


class Workers:
    """`classvault worker` processes on the test database, each logging to its own file."""

    def __init__(self, home: Path, logs: Path) -> None:
        db = connection.settings_dict
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        url = f"postgresql://{db['USER']}@{host}/{db['NAME']}"
        self.env = clean_env(home, DATABASE_URL=url, CLASSVAULT_LOG_LEVEL="INFO")
        self.logs = logs
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "classvault.cli", "worker", "--interval", "0.05", *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text()

    def started(self, name: str) -> list[str]:
        """The ids of the jobs this worker started, in order."""
        return STARTED.findall(self.log(name))

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()  # SIGTERM: finish the running job, then stop
        for proc in self.procs.values():
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture
def workers(concurrent_db, tmp_path):
    home_prepare(
        home=settings.CLASSVAULT_HOME,
        secret_key_file=settings.CLASSVAULT_SECRET_KEY_FILE,
        master_key_file=settings.CLASSVAULT_MASTER_KEY_FILE,
        create_secret_key=True,
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Workers(Path(settings.CLASSVAULT_HOME), logs)
    yield running
    running.stop_all()


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
        connection.close()  # see the workers' commits, not a stale snapshot


def test_two_workers_run_1000_jobs_each_exactly_once(workers):
    # A cheap real job: transcoding a recording that was deleted while its job waited. The
    # job looks, finds nothing to do, and answers "gone"; the claim and the run are the
    # same as for any other job.
    for _ in range(1000):
        process_recording.enqueue(str(uuid.uuid4()))
    jobs = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}
    assert len(jobs) == 1000
    first = workers.start("a", "--retention-every", "0")
    second = workers.start("b", "--retention-every", "0")
    wait_for(
        lambda: not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists(),
        seconds=600,
        what="the queue to drain",
    )
    workers.stop_all()
    assert first.returncode == 0 and second.returncode == 0
    by_a, by_b = workers.started("a"), workers.started("b")
    started = Counter(by_a + by_b)
    assert set(started) == jobs
    assert started.most_common(1)[0][1] == 1, "a job was started twice"
    assert by_a and by_b, "both workers took jobs"
    # The queue's own record agrees: one claim per job, by the worker that logged it.
    rows = DBTaskResult.objects.values_list("pk", "status", "worker_ids", "return_value")
    claimed = {}
    for pk, status, worker_ids, value in rows:
        assert (status, len(worker_ids), value) == ("SUCCESSFUL", 1, "gone")
        claimed[str(pk)] = worker_ids[0]
    assert {claimed[pk] for pk in by_a} == {f"{os.uname().nodename[:80]}:{first.pid}"}
    assert {claimed[pk] for pk in by_b} == {f"{os.uname().nodename[:80]}:{second.pid}"}


def test_a_worker_killed_mid_transcode_has_its_job_finished_by_another(workers):
    world = World()
    guidelines_acknowledge(actor=world.student, now=clock.now())
    # Long enough that the transcode is still running when the worker is killed.
    response = upload(login("sanne"), make_video(seconds=20, width=640, height=360))
    assert response.status_code == 201, response.content
    recording_id = response.json()["id"]
    killed = workers.start("killed", "--retention-every", "0")
    wait_for(
        lambda: Recording.objects.filter(pk=recording_id, lease_token__isnull=False).exists(),
        seconds=120,
        what="the first worker to take the job",
    )
    time.sleep(0.5)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    recording = Recording.objects.get(pk=recording_id)
    assert recording.status == "processing", "killed too late: the job had finished"
    assert len(workers.started("killed")) == 1
    # The dead worker's lease would lapse LEASE (15 min) after its last renewal; let that
    # time pass for the lease only, as a wall clock 15 minutes on would.
    Recording.objects.filter(pk=recording_id).update(lease_until=clock.now() - timedelta(seconds=1))
    # The next worker's retention slot (every second here) queues what nobody holds.
    workers.start("next", "--retention-every", "1")
    wait_for(
        lambda: Recording.objects.filter(pk=recording_id, status="ready").exists(),
        seconds=300,
        what="the second worker to finish the job",
    )
    recording = Recording.objects.get(pk=recording_id)
    assert (recording.takeovers, recording.attempts) == (1, 0)
    assert len(workers.started("next")) == 1
    assert AuditEvent.objects.filter(action="recording.ready", object_id=recording_id).count() == 1
    with vault_open(object_id=recording_id, purpose="rendition") as reader:
        assert reader.read_range(4, 7) == b"ftyp"
    blobs = Path(settings.CLASSVAULT_HOME) / "blobs"
    wait_for(
        lambda: not list(blobs.rglob(".*.tmp")),
        seconds=30,
        what="the killed worker's half-written file to be purged",
    )


def test_two_workers_run_the_retention_schedule_once_per_slot(workers):
    start = clock.now()
    workers.start("a", "--retention-every", "1")
    workers.start("b", "--retention-every", "1")
    wait_for(
        lambda: RetentionRun.objects.filter(finished_at__isnull=False).count() >= 5,
        seconds=120,
        what="five retention slots",
    )
    workers.stop_all()
    runs = list(RetentionRun.objects.filter(slot__gte=start - timedelta(seconds=1)))
    # One row per slot is the primary key's doing; both workers tried every slot.
    slots = [run.slot for run in runs]
    assert len(slots) == len(set(slots)) >= 5
    log = workers.log("a") + workers.log("b")
    for run in runs:
        assert log.count(f"Retention run {run.slot.isoformat()}:") == 1
    assert all(run.finished_at is not None for run in runs)


def test_serve_on_postgresql_runs_no_worker_of_its_own(workers):
    """Outside the embedded default the workers are separate processes: a queued job waits
    for one, however long `classvault serve` runs."""
    process_recording.enqueue(str(uuid.uuid4()))
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "classvault.cli", "serve", "--port", str(port), "--workers", "1"],
        env=workers.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert server.stdout.readline().strip() == f"ClassVault serves on http://127.0.0.1:{port}"
        time.sleep(3)  # time enough for an embedded worker to start and run the job
        # gunicorn's web worker is its child too; a job worker is `classvault.cli worker`.
        assert not [pid for pid in child_pids(server.pid) if b"worker" in _argv(pid)]
        assert DBTaskResult.objects.get().status == "READY"
    finally:
        server.terminate()
        server.wait(timeout=30)


def _argv(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []
