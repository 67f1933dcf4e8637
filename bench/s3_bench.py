#!/usr/bin/env python3
"""Stream throughput and 1 MiB seek latency from the S3 blob store beside the file store.

    .venv/bin/python bench/s3_bench.py                 # 256 MiB recording, ~2 min
    .venv/bin/python bench/s3_bench.py --size 64M      # quicker
    .venv/bin/python bench/s3_bench.py --endpoint http://127.0.0.1:7480   # a running RGW

One run, the same bytes in both stores:

1. starts a real S3 server, Ceph's RADOS Gateway (tests/support/ceph_s3_up.sh, memstore, on
   loopback; Debian's ceph-mon ceph-osd radosgw must be installed), unless ``--endpoint``
   names one (credentials testak/testsk, or AWS_* in the environment);
2. for each store (file://, then s3:// in a fresh versioned bucket): a temporary
   CLASSVAULT_HOME, ``classvault init`` and ``demo``, one recording of ``--size`` stored as a
   ready rendition (bench/cv_helper.py), then ``classvault serve --no-worker``;
3. measures over HTTP on one keep-alive connection: the full stream (median MiB/s of
   ``--repeat`` runs) and ``--ranges`` random 1 MiB Range requests (p50/p99 ms, each checked
   against the plaintext), interleaving the two servers so both see the same machine state;
4. prints a table and writes bench/results/s3-latest.{json,md}; stops everything it started
   (by process id) and removes its temporary directory.
"""

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import stream_bench as sb  # noqa: E402  (its HTTP client, process handling and statistics)

CEPH_SCRIPT = ROOT / "tests" / "support" / "ceph_s3_up.sh"
MiB = sb.MiB


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "classvault.cli", *args]


def start_ceph(folder: Path) -> str:
    port = sb.free_port()
    env = dict(os.environ, CEPH_MON_PORT=str(sb.free_port()), RGW_PORT=str(port))
    sb.log("starting Ceph RGW (about 12 s)")
    subprocess.run(
        [str(CEPH_SCRIPT), str(folder)],
        env=env,
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        timeout=180,
    )
    return f"http://127.0.0.1:{port}"


def stop_ceph(folder: Path) -> None:
    for pid_file in (folder / "run").glob("*.pid"):
        with contextlib.suppress(ValueError, ProcessLookupError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)


def make_bucket(endpoint: str, env: dict) -> str:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"],
        config=Config(s3={"addressing_style": "path"}),
    )
    name = f"cv-bench-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


class Store:
    """One ClassVault home and `classvault serve` with its blobs in one store."""

    def __init__(self, name: str, tmp: Path, env: dict, procs: sb.Processes) -> None:
        self.name = name
        self.tmp = tmp / name
        self.tmp.mkdir()
        self.env = dict(env, CLASSVAULT_HOME=str(self.tmp / "home"))
        self.procs = procs

    def prepare(self, size: int, seed: int, plaintext: Path) -> None:
        sb.run(cli("init"), env=self.env, what=f"init ({self.name})")
        sb.run(cli("demo"), env=self.env, what=f"demo ({self.name})")
        started = time.perf_counter()
        out = sb.run(
            [
                sys.executable,
                str(BENCH / "cv_helper.py"),
                "recording",
                "--size",
                str(size),
                "--seed",
                str(seed),
                "--plaintext",
                str(plaintext),
            ],
            env=self.env,
            what=f"recording ({self.name})",
        )
        self.recording = json.loads(out.strip().splitlines()[-1])
        self.store_seconds = time.perf_counter() - started
        sb.log(f"{self.name}: stored {size >> 20} MiB in {self.store_seconds:.1f} s")
        self.port = sb.free_port()
        log_path = self.tmp / "serve.log"
        proc = self.procs.start(
            f"serve ({self.name})",
            cli("serve", "--no-worker", "--host", sb.HOST, "--port", str(self.port)),
            env=self.env,
            log_path=log_path,
        )
        sb.wait_for_port(self.port, proc, f"serve ({self.name})", log_path)
        self.headers = {"Authorization": f"Bearer {sb.get_token(self.port, 'sanne')}"}
        self.path = f"/api/v1/recordings/{self.recording['id']}/stream"


def measure(stores: list[Store], size: int, args, plaintext: Path) -> dict:
    results = {s.name: {"stream_mibs": [], "seek_ms": [], "mismatches": 0} for s in stores}
    for _ in range(args.repeat):  # full streams, interleaved
        for store in stores:
            with sb.Client(store.port) as client:
                r = client.request("GET", store.path, store.headers)
                assert r.status == 200 and r.length == size, (store.name, r.status)
                results[store.name]["stream_mibs"].append(size / MiB / r.elapsed)
    rng = random.Random(args.seed)
    offsets = [rng.randrange(1, size - MiB + 1) for _ in range(args.ranges)]
    buf = memoryview(bytearray(MiB))
    with open(plaintext, "rb") as plain:
        fd = plain.fileno()
        for store in stores:  # warm-up: connections, the first open of each
            with sb.Client(store.port) as client:
                for off in offsets[:10]:
                    client.request(
                        "GET",
                        store.path,
                        store.headers | {"Range": f"bytes={off}-{off + MiB - 1}"},
                        into=buf,
                    )
        clients = {s.name: sb.Client(s.port) for s in stores}
        try:
            for off in offsets:
                for store in stores:
                    r = clients[store.name].request(
                        "GET",
                        store.path,
                        store.headers | {"Range": f"bytes={off}-{off + MiB - 1}"},
                        into=buf,
                    )
                    results[store.name]["seek_ms"].append(r.elapsed * 1000)
                    if r.status != 206 or r.length != MiB or buf != os.pread(fd, MiB, off):
                        results[store.name]["mismatches"] += 1
        finally:
            for client in clients.values():
                client.close()
    summary = {}
    for name, res in results.items():
        summary[name] = {
            "stream_mibs_median": round(sb.median(res["stream_mibs"]), 1),
            "stream_runs": [round(v, 1) for v in res["stream_mibs"]],
            "seek_p50_ms": round(sb.median(res["seek_ms"]), 2),
            "seek_p99_ms": round(sb.percentile(res["seek_ms"], 99), 2),
            "ranges": len(res["seek_ms"]),
            "mismatches": res["mismatches"],
        }
    return summary


def render(summary: dict, meta: dict) -> str:
    lines = [
        f"S3 vs file store, {meta['size_mib']} MiB recording, {meta['ranges']} random 1 MiB "
        f"ranges, {meta['repeat']} full streams each ({meta['started']}, {meta['endpoint_kind']}, "
        f"load average {meta['load_average'][0]} → {meta['load_average'][1]} on "
        f"{meta['machine'].get('nproc')} cores)",
        "",
        "| store | stream MiB/s (median) | 1 MiB seek p50 ms | p99 ms | wrong bytes |",
        "|---|---|---|---|---|",
    ]
    for name, s in summary.items():
        lines.append(
            f"| {name} | {s['stream_mibs_median']} | {s['seek_p50_ms']} | {s['seek_p99_ms']} "
            f"| {s['mismatches']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=sb.parse_size, default=256 * MiB)
    parser.add_argument("--ranges", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--endpoint", help="use this running S3 server instead of starting Ceph")
    parser.add_argument("--tmp", type=Path, default=None, help="parent of the temporary dir")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="classvault-s3-bench-", dir=args.tmp))
    procs = sb.Processes()
    ceph = tmp / "ceph"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CLASSVAULT_") and k not in ("DATABASE_URL",)
    }
    env.setdefault("AWS_ACCESS_KEY_ID", "testak")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "testsk")
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    env.update(DJANGO_SETTINGS_MODULE="classvault.settings", CLASSVAULT_LOG_LEVEL="WARNING")

    def on_signal(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        endpoint = args.endpoint or start_ceph(ceph)
        bucket = make_bucket(endpoint, env)
        plaintext = tmp / "plain.bin"
        file_store = Store("file", tmp, env, procs)
        s3_env = dict(env, CLASSVAULT_STORAGE_URL=f"s3://{bucket}/bench?endpoint_url={endpoint}")
        s3_store = Store("s3", tmp, s3_env, procs)
        file_store.prepare(args.size, args.seed, plaintext)
        s3_store.prepare(args.size, args.seed, plaintext)  # the same bytes again
        load_before = os.getloadavg()[0]
        summary = measure([file_store, s3_store], args.size, args, plaintext)
        meta = {
            "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
            "started": started,
            "size_mib": args.size >> 20,
            "ranges": args.ranges,
            "repeat": args.repeat,
            "endpoint_kind": "given endpoint" if args.endpoint else "Ceph RGW memstore on loopback",
            "machine": sb.machine(),
            "store_seconds": {"file": file_store.store_seconds, "s3": s3_store.store_seconds},
        }
        table = render(summary, meta)
        print(table)
        results = BENCH / "results"
        results.mkdir(exist_ok=True)
        (results / "s3-latest.json").write_text(
            json.dumps({"meta": meta, "results": summary}, indent=2)
        )
        (results / "s3-latest.md").write_text(table)
        return 0 if all(s["mismatches"] == 0 for s in summary.values()) else 1
    finally:
        procs.stop_all()
        if not args.endpoint:
            stop_ceph(ceph)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
