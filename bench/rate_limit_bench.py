"""What the per-token rate limit costs: GET /api/v1/me with a token, sequentially, against a
real `classvault serve` (embedded default, SQLite, one gunicorn worker), limit on and off.

    PYTHONPATH=src:tests python bench/rate_limit_bench.py [REQUESTS]

Prints the median and 95th percentile latency of each. The counting upsert runs in both (it
keeps the token's last use); only the refusal differs, so this shows what a token request
costs in all, not the upsert alone (bench/README.md has that, measured in-process).
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

from support.liveserver import call, running_server, token_for


def measure(limit: str, requests: int) -> list[float]:
    with tempfile.TemporaryDirectory() as home:
        env = {"CLASSVAULT_API_RATE_LIMIT": limit}
        with running_server(Path(home) / "home", env_extra=env) as base:
            token = token_for(base, "sanne")
            for _ in range(20):  # warm up
                call(base, "GET", "/api/v1/me", token=token)
            times = []
            for _ in range(requests):
                start = time.perf_counter()
                status, _, _ = call(base, "GET", "/api/v1/me", token=token)
                times.append(time.perf_counter() - start)
                assert status == 200, status
            return times


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    for label, limit in (("limit off", "0"), ("limit on", "1000000")):
        times = sorted(measure(limit, requests))
        p95 = times[int(len(times) * 0.95)]
        print(
            f"{label:>9}: median {statistics.median(times) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"
        )


if __name__ == "__main__":
    main()
