"""Country-scale benchmark: lists, detail, sweep and report on PostgreSQL (issue 15).

One command (``make -C bench scale``) does, for one tenth of the data and then the full
size, on a PostgreSQL database of its own (created, seeded in bulk, dropped afterwards):

1. ``classvault init`` (migrations, keys) in a temporary CLASSVAULT_HOME, then a seed written
   with PostgreSQL's COPY (not the API): schools, student teachers, trainers, supervisors,
   pupils, recordings (metadata only: rows, no blobs), presences, shares; ANALYZE.
2. ``classvault serve --workers 2`` on it (no job worker: PostgreSQL), and bearer tokens
   for a student teacher, a trainer (with about as many shares as the average trainer) and
   the privacy officer.
3. p50/p99 of ``GET /api/v1/recordings`` and ``GET /api/v1/recordings/{id}`` for the
   student teacher and the trainer at 50 concurrent clients, each with a bearer token of
   its own (50 clients are 50 people or systems; one shared token would also make every
   request wait for the others' rate-limit count on that token's one row). The load comes
   from ``wrk`` (Debian package; 2 threads, a keep-alive connection per client, 2 s
   warm-up, then ``--seconds``) when it is installed, otherwise from Python threads (one
   keep-alive connection each, ``--requests`` each), which spend CPU of the same two
   cores; ``--load`` chooses. Beside them, as the floor under every one of those figures,
   ``GET /api/v1/health`` (no token, no database: the cheapest request this server
   answers) at the same clients, with no target.
4. The same lists served by the code of ``--ref`` (default ``main``: the old rule, an OR of
   EXISTS clauses, no paging) on the same database: the baseline.
5. A pupil's access report (``GET /api/v1/pupils/{id}/report``) over 20 recordings, when
   the code has that endpoint; otherwise the slot says "not on this revision".
6. ``classvault sweep`` of the expired recordings (10,000 among 300,000 at full size).
   Metadata-only recordings have no keys or blobs: the sweep's key destruction and blob
   purge find nothing and go on, so this measures the database side of the sweep (rows,
   tombstones, audit chain), which is what grows with the country; a blob delete per
   recording adds the store's latency on top.

Targets: list p99 <= 100 ms, sweep <= 60 s for 10,000, report <= 200 ms, and flat: the full
data within 1.5x of one tenth (list p99, detail p99). Exit 0 when every target passes, 3 when
one is missed, 1 on error. Results: stdout and ``bench/results/scale-latest.md``/``.json``.

Needs PostgreSQL (``--pg postgresql://postgres@127.0.0.1:5432``, trust auth) and the
project's venv. The full seed takes a few minutes on two cores.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-wachtwoord-2026"
FULL = {
    "schools": 1_000,
    "student_teachers": 20_000,
    "trainers": 2_000,
    "pupils": 500_000,
    "recordings": 300_000,
    "shares": 150_000,
    "expired": 10_000,
}
PRESENT = 3  # pupils present per recording
REPORT_RECORDINGS = 20
NEWEST_FIRST = "recording_newest_first"  # the index of recordings/migrations/0005


# --- the seed (runs inside Django: `scale_bench.py seed --scale S`) ---------------------


def seed(scale: float) -> dict:
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from classvault.core import clock

    n = {k: max(1, int(v * scale)) for k, v in FULL.items()}
    now = clock.now()
    rnd = random.Random(15)
    hashed = make_password(PASSWORD)
    raw = connection.cursor().cursor  # psycopg 3: COPY

    def copy(table: str, columns: list[str], rows) -> int:
        count = 0
        cols = ", ".join(f'"{c}"' for c in columns)
        with raw.copy(f'COPY "{table}" ({cols}) FROM STDIN') as out:
            for row in rows:
                out.write_row(row)
                count += 1
        return count

    user_cols = [
        "id", "password", "is_superuser", "username", "first_name", "last_name", "email",
        "is_staff", "is_active", "date_joined", "role", "full_name", "school_id",
        "session_generation",
    ]  # fmt: skip

    def user(pk, username, role, school=None, password="!"):
        return (pk, password, False, username, "", "", f"{username}@example.org", False,
                True, now, role, username.title(), school, 0)  # fmt: skip

    base = 1_000_000  # ids far above what `classvault init` made
    schools = [base + i for i in range(n["schools"])]
    copy("people_school", ["id", "code", "name"],
         ((pk, f"S{i:05d}", f"School {i}") for i, pk in enumerate(schools)))  # fmt: skip
    st_ids = [base + i for i in range(n["student_teachers"])]
    tr_ids = [base + 100_000 + i for i in range(n["trainers"])]
    sup_ids = [base + 200_000 + i for i in range(n["schools"])]
    po_id = base + 300_000
    st_school = {pk: schools[i % len(schools)] for i, pk in enumerate(st_ids)}

    def users():
        for i, pk in enumerate(st_ids):
            yield user(pk, f"st{i:05d}", "student_teacher", password=hashed if i == 0 else "!")
        for i, pk in enumerate(tr_ids):
            yield user(pk, f"tr{i:04d}", "trainer", password=hashed if i == 0 else "!")
        for i, pk in enumerate(sup_ids):
            yield user(pk, f"sup{i:05d}", "school_supervisor", school=schools[i])
        yield user(po_id, "privacy", "privacy_officer", password=hashed)

    copy("people_user", user_cols, users())
    study_end = (now + timedelta(days=730)).date()
    copy("people_enrolment", ["id", "student_teacher_id", "school_id", "study_end", "updated_at"],
         ((pk, pk, st_school[pk], study_end, now) for pk in st_ids))  # fmt: skip
    # Two trainers per student teacher, the first of them tr0000 for st00000.
    trainers_of = {pk: (tr_ids[i % len(tr_ids)], tr_ids[(i + 1) % len(tr_ids)])
                   for i, pk in enumerate(st_ids)}  # fmt: skip
    copy("people_enrolment_trainers", ["enrolment_id", "user_id"],
         ((pk, t) for pk in st_ids for t in trainers_of[pk]))  # fmt: skip
    copy("people_enrolment_supervisors", ["enrolment_id", "user_id"],
         ((pk, sup_ids[i % len(schools)]) for i, pk in enumerate(st_ids)))  # fmt: skip

    pupils_per_school = n["pupils"] // len(schools)
    pupil_ids = [
        [str(uuid.UUID(bytes=rnd.randbytes(16))) for _ in range(pupils_per_school)]
        for _ in schools
    ]
    copy(
        "consent_pupil",
        ["id", "school_id", "external_id", "full_name", "date_of_birth", "group",
         "recording_consent", "peer_viewing_consent", "created_at", "updated_at"],
        ((pid, schools[s], f"P{s}-{j}", f"Pupil {s}-{j}", "2016-05-01", "5", True, True, now, now)
         for s, ids in enumerate(pupil_ids) for j, pid in enumerate(ids)),
    )  # fmt: skip

    # Recordings: 15 per student teacher at full size, recorded over the last six months;
    # every ~30th long expired (the sweep's work). st00000's first 20 have the report pupil.
    recordings, expired_every = [], max(1, n["recordings"] // n["expired"])
    for i in range(n["recordings"]):
        owner = st_ids[i % len(st_ids)]
        expired = i % expired_every == expired_every - 1
        recorded = now - timedelta(days=rnd.uniform(1, 175), seconds=i % 997)
        if expired:
            recorded = now - timedelta(days=200 + rnd.uniform(0, 20))
        recordings.append((str(uuid.UUID(bytes=rnd.randbytes(16))), owner, recorded, expired))
    expires = {True: -1, False: 1}
    n_expired = sum(1 for r in recordings if r[3])
    copy(
        "recordings_recording",
        ["id", "owner_id", "school_id", "title", "recorded_at", "expires_at", "status",
         "failure_reason", "created_at", "original_size", "rendition_size", "attempts",
         "takeovers"],
        ((pk, owner, st_school[owner], "Les", at,
          (now + timedelta(days=expires[exp] * rnd.uniform(1, 5))) if exp
          else at + timedelta(days=182), "ready", "", at, 0, 0, 0, 0)
         for pk, owner, at, exp in recordings),
    )  # fmt: skip
    school_index = {pk: i for i, pk in enumerate(schools)}
    report_pupil = pupil_ids[school_index[st_school[st_ids[0]]]][0]
    mine = [r for r in recordings if r[1] == st_ids[0] and not r[3]]
    report_recordings = {r[0] for r in (mine * 2)[:REPORT_RECORDINGS]}

    def presences():
        pk = base
        for rid, owner, _at, _exp in recordings:
            pool = pupil_ids[school_index[st_school[owner]]]
            chosen = set(rnd.sample(pool[1:], min(PRESENT, len(pool) - 1)))
            if rid in report_recordings:
                chosen.add(report_pupil)
            for pupil in chosen:
                pk += 1
                yield (pk, rid, pupil, False)

    copy("recordings_recordingpupil", ["id", "recording_id", "pupil_id", "attested_out_of_view"],
         presences())  # fmt: skip
    # Shares: with the owner's first trainer, for the first n["shares"] alive recordings.
    alive = [r for r in recordings if not r[3]]
    copy(
        "sharing_share",
        ["id", "recording_id", "user_id", "granted_by_id", "granted_at"],
        ((base + k, r[0], trainers_of[r[1]][0], r[1], now)
         for k, r in enumerate(alive[: n["shares"]])),
    )  # fmt: skip
    for table in ("people_school", "people_user", "people_enrolment",
                  "people_enrolment_trainers", "people_enrolment_supervisors",
                  "recordings_recordingpupil", "sharing_share"):  # fmt: skip
        raw.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT max(id) FROM \"{table}\"))"
        )
    raw.execute("ANALYZE")
    trainer_sees = sum(1 for r in alive[: n["shares"]] if trainers_of[r[1]][0] == tr_ids[0])
    return {
        "counts": n | {"expired": n_expired},
        "student": "st00000",
        "trainer": "tr0000",
        "officer": "privacy",
        "student_recording": mine[0][0],
        "trainer_recording": next(
            r[0] for r in alive[: n["shares"]] if trainers_of[r[1]][0] == tr_ids[0]
        ),
        "student_sees": len(mine),
        "trainer_sees": trainer_sees,
        "report_pupil": report_pupil,
    }


# --- the orchestration ------------------------------------------------------------------


class Run:
    """Processes and databases this run made; everything is stopped and dropped at the end."""

    def __init__(self, args) -> None:
        self.args = args
        self.procs: list[subprocess.Popen] = []
        self.databases: list[str] = []
        self.tmp = Path(tempfile.mkdtemp(prefix="cv-scale-"))

    code: Path | None = None  # --code: the src/ of another revision, measured instead

    def env(self, db: str, *, src: Path | None = None) -> dict:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("CLASSVAULT_", "DATABASE_URL", "DJANGO_"))
        }
        env.update(
            CLASSVAULT_HOME=str(self.tmp / db),
            DATABASE_URL=f"{self.args.pg}/{db}",
            DJANGO_SETTINGS_MODULE="classvault.settings",
            CLASSVAULT_LOG_LEVEL="WARNING",
            # The second factor is asked when a token is issued, never per request: the
            # bench issues its trainer's and officer's tokens with a password alone.
            CLASSVAULT_SECOND_FACTOR_ROLES="",
            PYTHONPATH=str(src or self.code or ROOT / "src"),
        )
        return env

    def load(self, address: str, path: str, toks: list[str]) -> dict:
        """The chosen load generator at ``--clients``; load average before and after."""
        before = os.getloadavg()[0]
        if self.args.load == "wrk":
            got = load_wrk(
                address, path, toks, clients=self.args.clients, seconds=self.args.seconds
            )
        else:
            got = load(
                address, path, toks, clients=self.args.clients, per_client=self.args.requests
            ) | {"load": "threads"}
        return got | {"loadavg": [round(before, 1), round(os.getloadavg()[0], 1)]}

    def psql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"{self.args.pg}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    def psql_in(self, db: str, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"{self.args.pg}/{db}", autocommit=True) as conn:
            conn.execute(sql)

    def create_db(self, db: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{db}"')
        self.psql(f'CREATE DATABASE "{db}"')
        self.databases.append(db)

    def cli(self, env: dict, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "classvault.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )

    def serve(self, env: dict) -> str:
        port = _free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "classvault.cli", "serve", "--port", str(port),
             "--workers", "2"],
            env=env | {"CLASSVAULT_WEB_THREADS": str(self.args.threads)},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )  # fmt: skip
        self.procs.append(proc)
        line = proc.stdout.readline()
        if "serves on" not in line:
            raise RuntimeError(f"classvault serve did not start: {line!r}")
        # gunicorn's access log goes to stdout: keep reading it, or the server blocks.
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        return f"127.0.0.1:{port}"

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def close(self) -> None:
        for proc in self.procs:
            self.stop(proc)
        if not self.args.keep:
            for db in self.databases:
                try:
                    self.psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                except Exception as exc:  # noqa: BLE001
                    print(f"could not drop {db}: {exc}", file=sys.stderr)
            subprocess.run(["rm", "-rf", str(self.tmp)], check=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(conn: http.client.HTTPConnection, method: str, path: str, token=None, body=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def token(address: str, username: str) -> str:
    conn = http.client.HTTPConnection(address, timeout=60)
    status, body = request(
        conn, "POST", "/api/v1/auth/token", body={"username": username, "password": PASSWORD}
    )
    assert status == 200, (status, body)
    return json.loads(body)["token"]


def load(address: str, path: str, toks: list[str], *, clients: int, per_client: int) -> dict:
    """``clients`` threads, each ``per_client`` requests on its own keep-alive connection
    with its own token (``toks[i]``)."""
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client(tok: str) -> None:
        conn = http.client.HTTPConnection(address, timeout=120)
        request(conn, "GET", path, tok)  # warm the connection up, not measured
        start.wait()
        mine = []
        for _ in range(per_client):
            t0 = time.perf_counter()
            try:
                status, _body = request(conn, "GET", path, tok)
            except (ConnectionError, http.client.HTTPException):
                # gunicorn closes a keep-alive connection idle for 2 s: connect again, and
                # count the time it took (a browser would have waited as long).
                conn.close()
                conn = http.client.HTTPConnection(address, timeout=120)
                status, _body = request(conn, "GET", path, tok)
            mine.append(time.perf_counter() - t0)
            if status != 200:
                with lock:
                    errors.append(status)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [
        threading.Thread(target=client, args=(toks[i % len(toks)],)) for i in range(clients)
    ]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "rps": len(latencies) / wall,
    }


WRK_SCRIPT = """
local tokens = {}
for line in io.lines(os.getenv("CV_BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local i = 0
request = function()
  i = i % #tokens + 1
  return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. tokens[i]})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nCV_BENCH {"requests": %d, "seconds": %f, "p50_us": %d, "p99_us": %d, ' ..
    '"non2xx": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def load_wrk(address: str, path: str, toks: list[str], *, clients: int, seconds: float) -> dict:
    """``wrk``: ``clients`` keep-alive connections on 2 threads, closed loop (each sends its
    next request when the last one is answered), the tokens taken in turn; a 2 s warm-up
    run first, not counted."""
    work = Path(tempfile.mkdtemp(prefix="cv-wrk-"))
    (work / "tokens").write_text("\n".join(toks) + "\n")
    (work / "auth.lua").write_text(WRK_SCRIPT)
    env = os.environ | {"CV_BENCH_TOKENS": str(work / "tokens")}
    url = f"http://{address}{path}"
    threads = min(2, clients)
    script = str(work / "auth.lua")
    command = ["wrk", f"-t{threads}", f"-c{clients}", "--timeout", "60s", "-s", script]
    subprocess.run([*command, "-d2s", url], env=env, capture_output=True, check=True)
    out = subprocess.run(
        [*command, f"-d{seconds:g}s", url], env=env, capture_output=True, text=True, check=True
    ).stdout
    subprocess.run(["rm", "-rf", str(work)], check=False)
    line = next(x for x in out.splitlines() if x.startswith("CV_BENCH "))
    got = json.loads(line.removeprefix("CV_BENCH "))
    return {
        "requests": got["requests"],
        "errors": got["non2xx"] + got["socket_errors"],
        "p50_ms": got["p50_us"] / 1000,
        "p99_ms": got["p99_us"] / 1000,
        "rps": got["requests"] / got["seconds"],
        "load": "wrk",
    }


def one(address: str, path: str, tok: str, repeat: int = 20) -> dict:
    """Alone (one client): p50 of ``repeat`` requests; None when the path is not there."""
    conn = http.client.HTTPConnection(address, timeout=120)
    status, body = request(conn, "GET", path, tok)
    if status == 404:
        return {"missing": True, "status": status}
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        status, body = request(conn, "GET", path, tok)
        times.append(time.perf_counter() - t0)
    times.sort()
    return {
        "status": status,
        "p50_ms": 1000 * statistics.median(times),
        "p99_ms": 1000 * times[-1],
        "bytes": len(body),
    }


FLOOR = "floor: health (no token, no database)"


def measure_scale(run: Run, scale: float, ref_src: Path | None) -> dict:
    label = "full" if scale == 1 else f"x{scale:g}"
    db = f"cv_scale_bench_{label.replace('.', '_')}"
    print(f"[{label}] create {db}, init, seed ...", flush=True)
    run.create_db(db)
    env = run.env(db)
    run.cli(env, "init")
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "seed", "--scale", str(scale)],
        env=env,
        capture_output=True,
        text=True,
        timeout=7200,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    info = json.loads(out.stdout.strip().splitlines()[-1])
    info["seed_seconds"] = time.perf_counter() - t0
    print(f"[{label}] seeded in {info['seed_seconds']:.0f} s: {info['counts']}", flush=True)
    result = {"scale": scale, "seed": info, "new": {}, "old": {}}
    clients, per = run.args.clients, run.args.requests

    address = run.serve(env)
    # A token per client (and one more for the single client and the report).
    tokens = {
        who: [token(address, info[who]) for _ in range(clients + 1)]
        for who in ("student", "trainer", "officer")
    }
    paths = {
        "list student teacher": ("student", "/api/v1/recordings"),
        "list trainer": ("trainer", "/api/v1/recordings"),
        "detail student teacher": ("student", f"/api/v1/recordings/{info['student_recording']}"),
        "detail trainer": ("trainer", f"/api/v1/recordings/{info['trainer_recording']}"),
        "list privacy officer (page of 100)": ("officer", "/api/v1/recordings"),
        # No target: the cheapest request this server answers, measured in the same run
        # with the same clients, is the floor under every figure above (bench/README.md).
        FLOOR: ("student", "/api/v1/health"),
    }
    for name, (who, path) in paths.items() if not run.args.report_only else ():
        result["new"][name] = run.load(address, path, tokens[who][1:])
        result["new"][name]["alone"] = one(address, path, tokens[who][0])
        print(f"[{label}] {name}: {result['new'][name]}", flush=True)
    report = f"/api/v1/pupils/{info['report_pupil']}/report"
    result["report"] = one(address, report, tokens["officer"][0])
    print(f"[{label}] report: {result['report']}", flush=True)
    run.stop(run.procs[-1])

    if ref_src is not None:
        # The old code on the old schema: without the newest-first index, which the old
        # rule's ORDER BY would otherwise walk end to end, testing its EXISTS on every row.
        run.psql_in(db, f"DROP INDEX {NEWEST_FIRST}")
        address = run.serve(run.env(db, src=ref_src))
        tokens = {
            who: [token(address, info[who]) for _ in range(clients + 1)]
            for who in ("student", "trainer")
        }
        for name in ("list student teacher", "list trainer"):
            who, path = paths[name]
            per_old = max(1, per // 5)  # the old lists are slow: fewer rounds, same clients
            result["old"][name] = load(
                address, path, tokens[who][1:], clients=clients, per_client=per_old
            )
            result["old"][name]["alone"] = one(address, path, tokens[who][0], repeat=5)
            print(f"[{label}] OLD {name}: {result['old'][name]}", flush=True)
        run.stop(run.procs[-1])
        run.psql_in(db, f"CREATE INDEX {NEWEST_FIRST} ON recordings_recording "
                        "(recorded_at DESC, id DESC)")  # fmt: skip

    print(f"[{label}] sweep ...", flush=True)
    result["sweep"] = sweep(env, cap=run.args.sweep_seconds)
    print(f"[{label}] sweep: {result['sweep']}", flush=True)
    return result


def sweep(env: dict, *, cap: float) -> dict:
    """Time `classvault sweep`; stop it (SIGTERM) after ``cap`` seconds if it is not done.

    The sweep is crash-safe by design (one transaction per batch; a second run finishes
    the job), so a capped run is a sample of its rate: the report then says so and gives
    the rate measured, not an invented total.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "classvault.cli", "sweep"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    deleted, first_at = 0, None
    timer = threading.Timer(cap, lambda: os.killpg(proc.pid, signal.SIGTERM))
    timer.start()
    for _line in proc.stdout:
        deleted += 1
        if first_at is None:
            first_at = time.perf_counter()
    proc.wait()
    timer.cancel()
    seconds = time.perf_counter() - t0
    capped = proc.returncode != 0
    # Per recording: from the first deletion on (process start-up and Django set-up apart).
    rate = (deleted - 1) / (time.perf_counter() - first_at) if first_at and deleted > 1 else 0
    return {"deleted": deleted, "seconds": seconds, "capped": capped, "per_second": rate}


def verdicts(results: list[dict]) -> list[tuple[str, bool, str]]:
    out = []
    for r in results:
        label = "full" if r["scale"] == 1 else f"1/{round(1 / r['scale'])}"
        for name, m in r["new"].items():
            if name.startswith("list") and "officer" not in name:
                ok = m["p99_ms"] <= 100
                out.append((f"{label}: {name} p99 <= 100 ms", ok, f"{m['p99_ms']:.0f} ms"))
        sw = r["sweep"]
        per10k = 10_000 / sw["per_second"] if sw["per_second"] else float("inf")
        out.append((f"{label}: sweep <= 60 s per 10,000", per10k <= 60,
                    f"{sw['deleted']:,} in {sw['seconds']:.1f} s"
                    + (" (stopped at the cap)" if sw["capped"] else "")
                    + f": {sw['per_second']:.1f}/s, {per10k:.0f} s per 10,000"))  # fmt: skip
        if not r["report"].get("missing"):
            out.append((f"{label}: report <= 200 ms", r["report"]["p50_ms"] <= 200,
                        f"{r['report']['p50_ms']:.0f} ms"))  # fmt: skip
    by_scale = {r["scale"]: r for r in results}
    if 1 in by_scale and len(by_scale) > 1 and not results[0]["new"] == {}:
        small = by_scale[min(by_scale)]
        for name, m in by_scale[1]["new"].items():
            if name == FLOOR:
                continue
            base = small["new"][name]["p99_ms"]
            out.append((f"flat: {name} p99 full <= 1.5x tenth", m["p99_ms"] <= 1.5 * base,
                        f"{m['p99_ms']:.0f} vs {base:.0f} ms"))  # fmt: skip
    return out


def markdown(results: list[dict], checks, ref: str | None) -> str:
    lines = [
        f"Scale benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; "
        f"baseline: `{ref or 'none'}`",
        "",
    ]
    for r in results:
        c = r["seed"]["counts"]
        lines += [
            f"### {'full' if r['scale'] == 1 else 'one tenth'} — {c['recordings']:,} recordings, "
            f"{c['student_teachers']:,} student teachers, {c['trainers']:,} trainers, "
            f"{c['schools']:,} schools, {c['pupils']:,} pupils, {c['shares']:,} shares "
            f"(seeded in {r['seed']['seed_seconds']:.0f} s)",
            "",
            "| request | clients | p50 ms | p99 ms | req/s | alone p50 ms | old p50 ms "
            "| old p99 ms | old alone ms |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name, m in r["new"].items():
            old = r["old"].get(name)
            lines.append(
                f"| {name} | {r.get('clients', '')} | {m['p50_ms']:.0f} | {m['p99_ms']:.0f} | "
                f"{m['rps']:.0f} | {m['alone']['p50_ms']:.1f} | "
                + (f"{old['p50_ms']:.0f} | {old['p99_ms']:.0f} | {old['alone']['p50_ms']:.0f} |"
                   if old else "— | — | — |")
            )  # fmt: skip
        rep = r["report"]
        loads = [m for m in r["new"].values() if "loadavg" in m]
        lines += [
            "",
            f"- load generator: {loads[0]['load'] if loads else '-'}; 1-minute load average "
            "before/after each kind: "
            + ", ".join(f"{m['loadavg'][0]}/{m['loadavg'][1]}" for m in loads),
            f"- sweep: {r['sweep']['deleted']:,} of {r['seed']['counts']['expired']:,} expired "
            f"recordings deleted in {r['sweep']['seconds']:.1f} s"
            + (" (stopped at the --sweep-seconds cap)" if r["sweep"]["capped"] else "")
            + f", {r['sweep']['per_second']:.1f} per second",
            "- report over 20 recordings: "
            + ("**slot: GET /api/v1/pupils/{id}/report is not on this revision**"
               if rep.get("missing")
               else f"{rep['p50_ms']:.0f} ms p50, {rep['p99_ms']:.0f} ms max"),
            f"- the student teacher sees {r['seed']['student_sees']} recordings, the trainer "
            f"{r['seed']['trainer_sees']}",
            "",
        ]  # fmt: skip
    lines += ["| target | pass | measured |", "|---|---|---|"]
    lines += [f"| {name} | {'yes' if ok else '**NO**'} | {what} |" for name, ok, what in checks]
    return "\n".join(lines) + "\n"


def checkout(rev: str, where: Path) -> Path:
    """The ``src/`` of git revision ``rev``, unpacked under ``where``."""
    where.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "src"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive.stdout, check=True)
    return where / "src"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command")
    seed_cmd = sub.add_parser("seed")
    seed_cmd.add_argument("--scale", type=float, required=True)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--scales", default="0.1,1", help="fractions of the full data")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--load",
        choices=["wrk", "threads"],
        default="wrk" if shutil.which("wrk") else "threads",
        help="load generator (default: wrk when installed)",
    )
    parser.add_argument("--seconds", type=float, default=10, help="wrk: seconds per kind")
    parser.add_argument(
        "--requests", type=int, default=10, help="threads: per client and request kind"
    )
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    parser.add_argument("--ref", default="main", help="git revision of the baseline; '' none")
    parser.add_argument(
        "--code", default="", help="measure this git revision's src/ instead of the work tree"
    )
    parser.add_argument(
        "--report-only", action="store_true", help="measure the pupil report only (and sweep)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--sweep-seconds", type=float, default=180, help="stop the sweep after this long"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    if args.command == "seed":
        print(json.dumps(seed(args.scale), default=str))
        return 0
    run = Run(args)
    ref_src = None
    try:
        if args.ref:
            ref_src = checkout(args.ref, run.tmp / "ref")
        if args.code:
            run.code = checkout(args.code, run.tmp / "code")
        results = []
        for scale in [float(s) for s in args.scales.split(",")]:
            results.append(measure_scale(run, scale, ref_src) | {"clients": args.clients})
            run.procs = [p for p in run.procs if p.poll() is None]
        checks = verdicts(results)
        text = markdown(results, checks, args.ref or None)
        print(text)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "scale-latest.md").write_text(text)
        (args.out / "scale-latest.json").write_text(json.dumps(results, indent=1, default=str))
        return 0 if all(ok for _n, ok, _w in checks) else 3
    finally:
        run.close()


if __name__ == "__main__":
    sys.exit(main())
