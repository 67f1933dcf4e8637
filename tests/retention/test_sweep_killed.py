"""A real `kill -9` in the middle of a sweep, on the embedded default (SQLite, files on disk):
the next `classvault sweep` finishes the job and nothing is left half-deleted."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.cli

NOW = "2027-06-01T12:00:00+02:00"  # after all three expiries below

SETUP = """
import json, sys
from datetime import date, timedelta
import django; django.setup()
sys.path.insert(0, sys.argv[1])  # tests/, for the support package
from classvault.people import services as people
from support.personas import NOW as now
from support.recordings import make_recording

admin = people.user_create(actor=None, username="anna", password="a-long-password-1",
                           role="institute_admin", now=now)
people.school_create(actor=None, code="NOORD", name="OBS Noord", now=now)
student = people.user_create(actor=None, username="sanne", password="a-long-password-1",
                             role="student_teacher", now=now)
people.enrolment_set(actor=admin, username="sanne", school_code="NOORD",
                     study_end=date(2027, 7, 15), trainers=[], supervisors=[], now=now)
made = [make_recording(student, recorded_at=now - timedelta(days=days), title="Les")
        for days in (30, 20, 10)]
print(json.dumps([str(recording.pk) for recording in made]))
"""

# Runs the real sweep and SIGKILLs the process at the chosen point of the 2nd recording.
KILLED_SWEEP = """
import os, signal, sys
from datetime import datetime
import django; django.setup()
from classvault.retention.services import retention_sweep, sweep

victim, where = sys.argv[1], sys.argv[2]
real_destroy, real_finish = sweep.data_keys_destroy, sweep._finish_many

def destroy(*, object_ids, now, actor=None):
    real_destroy(object_ids=object_ids, now=now, actor=actor)
    if where == "inside" and victim in object_ids:
        os.kill(os.getpid(), signal.SIGKILL)  # keys destroyed, transaction not committed

def finish(recording_ids, now):
    if where == "after-commit" and victim in map(str, recording_ids):
        os.kill(os.getpid(), signal.SIGKILL)  # committed, blobs not removed yet
    real_finish(recording_ids, now)

sweep.data_keys_destroy, sweep._finish_many = destroy, finish
# Batches of one recording, so the kill falls between two batches' commits.
retention_sweep(now=datetime.fromisoformat(sys.argv[3]), batch_size=1,
                on_deleted=lambda rid: print(rid, flush=True))
"""


def environment(home: Path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLASSVAULT_", "DATABASE_URL", "DJANGO_"))
    }
    env.update(CLASSVAULT_HOME=str(home), DJANGO_SETTINGS_MODULE="classvault.settings")
    return env


def run(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], env=environment(home), capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def home(tmp_path) -> tuple[Path, list[str]]:
    home = tmp_path / "data"
    assert run(home, "-m", "classvault.cli", "init").returncode == 0
    made = run(home, "-c", SETUP, str(Path(__file__).resolve().parents[1]))
    assert made.returncode == 0, made.stderr
    return home, json.loads(made.stdout)


def state(home: Path) -> dict:
    db = sqlite3.connect(home / "classvault.sqlite3")
    try:
        return {
            "recordings": {r for (r,) in db.execute("select id from recordings_recording")},
            "live_keys": {
                o
                for (o,) in db.execute(
                    "select distinct object_id from vault_datakey where destroyed_at is null"
                )
            },
            "pending": {
                r
                for (r,) in db.execute(
                    "select recording_id from retention_tombstone where blobs_cleared_at is null"
                )
            },
        }
    finally:
        db.close()


def blob_folders(home: Path) -> set[str]:
    return {p.name for p in (home / "blobs").iterdir() if p.is_dir()}


def canonical(hex_id: str) -> str:
    """SQLite keeps UUIDs as 32 hex digits."""
    return hex_id.replace("-", "")


@pytest.mark.parametrize("where", ["inside", "after-commit"])
def test_a_sweep_killed_at_the_second_recording_is_finished_by_the_next(home, where):
    home, (first, second, third) = home
    killed = run(home, "-c", KILLED_SWEEP, second, where, NOW)
    assert killed.returncode == -9
    assert killed.stdout == f"{first}\n"
    after_kill = state(home)
    assert canonical(first) not in after_kill["recordings"]
    if where == "inside":  # rolled back as a whole
        assert {canonical(second), canonical(third)} <= after_kill["recordings"]
        assert second in after_kill["live_keys"]
    else:  # committed: no row, no live key, blobs (noise) waiting for the next sweep
        assert canonical(second) not in after_kill["recordings"]
        assert second not in after_kill["live_keys"]
        assert canonical(second) in after_kill["pending"] and second in blob_folders(home)

    swept = run(home, "-m", "classvault.cli", "sweep", "--now", NOW)
    assert swept.returncode == 0, swept.stderr
    expected = [second, third] if where == "inside" else [third]
    assert swept.stdout.splitlines() == expected
    final = state(home)
    assert final == {"recordings": set(), "live_keys": set(), "pending": set()}
    assert blob_folders(home) == set()
    assert list((home / "retention-keys").glob("*.key")) == []
    # Nothing left to do, and the audit chain survived the kill.
    assert run(home, "-m", "classvault.cli", "sweep", "--now", NOW).stdout == ""
    verify = run(home, "-m", "classvault.cli", "audit", "verify")
    assert verify.returncode == 0, verify.stdout
