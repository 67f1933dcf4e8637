"""CPU per list request, served: ``classvault serve`` on a seeded database, wrk at 1, 8 and
50 clients, and the CPU the server's processes and their PostgreSQL backends spent.

    .venv/bin/python bench/list_cost.py --db cv_scale_bench_x0_1 --home <CLASSVAULT_HOME>

Seed first with ``bench/scale_bench.py --scales 0.1 --keep`` (or ``scale_bench.py seed``
into a database of your own after ``classvault init``). The CPU figures are the
``utime + stime`` of the gunicorn processes and of the database's client backends over
each run (web and database apart), divided by the requests served: unlike latency, they
depend less on what else the machine runs (other work lengthens the queue more than the
work per request). ``--src``
measures another checkout's ``src/`` (e.g. a ``git archive`` of the base revision).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale_bench import ROOT, _free_port, load_wrk, token  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def tree(pid: int) -> list[int]:
    """The process and its children (gunicorn's master and workers)."""
    out = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        out += tree(int(child))
    return out


def backends(pg: str, db: str) -> list[int]:
    import psycopg

    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
            [db],
        ).fetchall()
    return [r[0] for r in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--db", required=True)
    parser.add_argument("--home", required=True, help="the CLASSVAULT_HOME of the seed")
    parser.add_argument("--src", default=str(ROOT / "src"))
    parser.add_argument("--clients", default="1,8,50")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--who", default="st00000,tr0000,privacy")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLASSVAULT_", "DJANGO_"))}
    env |= {
        "CLASSVAULT_HOME": args.home,
        "DATABASE_URL": f"{args.pg}/{args.db}",
        "DJANGO_SETTINGS_MODULE": "classvault.settings",
        "CLASSVAULT_LOG_LEVEL": "WARNING",
        "CLASSVAULT_WEB_THREADS": str(args.threads),
        "PYTHONPATH": args.src,
        # The second factor is asked when a token is issued, never per request: the bench
        # issues its trainer's and officer's tokens with a password alone.
        "CLASSVAULT_SECOND_FACTOR_ROLES": "",
        # Persistent connections as served, but not recycled during a run: a backend that
        # ends takes its CPU count with it.
        "CLASSVAULT_DB_CONN_MAX_AGE": "3600",
    }
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "classvault.cli", "serve", "--port", str(port),
         "--workers", str(args.workers)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        start_new_session=True,
    )  # fmt: skip
    results = []
    try:
        line = proc.stdout.readline()
        assert "serves on" in line, line
        import threading

        threading.Thread(target=proc.stdout.read, daemon=True).start()
        address = f"127.0.0.1:{port}"
        most = max(int(c) for c in args.clients.split(","))
        for who in args.who.split(","):
            toks = [token(address, who) for _ in range(most)]
            for clients in [int(c) for c in args.clients.split(",")]:
                # Every token in turn, whatever the clients: none passes its rate limit.
                load_wrk(address, "/api/v1/recordings", toks, clients=clients,
                         seconds=1)  # fmt: skip
                web, db = tree(proc.pid), backends(args.pg, args.db)
                before, db_before = cpu_seconds(web), cpu_seconds(db)
                loadavg = os.getloadavg()[0]
                t0 = time.perf_counter()
                got = load_wrk(address, "/api/v1/recordings", toks, clients=clients,
                               seconds=args.seconds)  # fmt: skip
                wall = time.perf_counter() - t0
                web_spent = cpu_seconds(tree(proc.pid)) - before
                db = sorted(set(db) | set(backends(args.pg, args.db)))
                db_spent = cpu_seconds(db) - db_before
                spent = web_spent + db_spent
                row = {
                    "who": who,
                    "clients": clients,
                    "rps": round(got["rps"], 1),
                    "p50_ms": round(got["p50_ms"], 1),
                    "p99_ms": round(got["p99_ms"], 1),
                    "errors": got["errors"],
                    "web_cpu_ms": round(1000 * web_spent / got["requests"], 2),
                    "db_cpu_ms": round(1000 * db_spent / got["requests"], 2),
                    "server_cpu_ms_per_request": round(1000 * spent / got["requests"], 2),
                    "server_cores_busy": round(spent / wall, 2),
                    "loadavg": round(loadavg, 1),
                }
                results.append(row)
                print(json.dumps(row), flush=True)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
