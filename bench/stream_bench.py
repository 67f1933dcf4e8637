#!/usr/bin/env python3
"""ClassVault stream and ingest benchmark, side by side with nginx on the same bytes.

    .venv/bin/python bench/stream_bench.py            # full run (64M, 256M, 1G), ~1-2 min
    .venv/bin/python bench/stream_bench.py --quick    # smaller run, ~30 s

What it does, in one run (bench/README.md has the details):

1. makes a temporary CLASSVAULT_HOME, runs ``classvault init`` and ``classvault demo``;
2. stores deterministic pseudo-random recordings (64 MiB, 256 MiB, 1 GiB) straight into the
   vault as ready renditions owned by "sanne" (bench/cv_helper.py), and writes the same
   plaintext bytes to files that nginx serves;
3. starts ``classvault serve --no-worker`` and nginx (sendfile on), both on 127.0.0.1 only;
4. measures (1) full-file stream throughput, (2) p50/p99 of 200 random 1 MiB Range
   requests on a keep-alive connection, (3) upload (ingest) throughput, each against a
   baseline measured in the same run, and checks that the stream endpoint still refuses
   strangers and writes one audit event per playback, not per range;
5. prints a table with PASS/MISS per target, writes bench/results/latest.{json,md}, stops
   every process it started and removes the temporary directory (also on error or Ctrl-C).

Standard library only (the Django side runs in bench/cv_helper.py, in the venv).
"""

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
CLASSVAULT = VENV_BIN / "classvault"
NGINX = Path("/usr/sbin/nginx")
HOST = "127.0.0.1"  # every byte of traffic goes here, and nowhere else
MiB = 1 << 20
PASSWORD = "demo-wachtwoord-2026"
SOCKET_TIMEOUT = 120.0

# Targets from the issue.
TARGET_STREAM_RATIO = 0.60
TARGET_RANGE_P50_MS = 5.0
TARGET_RANGE_SCALING = 1.5
TARGET_INGEST_MIBS = 250.0
# Issue 12: resumable upload against the multipart path on the same bytes, and a completion
# whose time does not grow with the file (the largest within this factor of the smallest).
TARGET_RESUMABLE_RATIO = 0.50
TARGET_COMPLETE_SCALING = 1.5


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_size(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+)\s*([KMG]?)i?B?\s*", text, re.IGNORECASE)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (use e.g. 64M, 1G)")
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2).upper()]


def human(size: int) -> str:
    return f"{size >> 30} GiB" if size >= 1 << 30 and size % (1 << 30) == 0 else f"{size >> 20} MiB"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- HTTP client


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    length: int
    elapsed: float  # request sent -> last body byte received, seconds
    ttfb: float  # request sent -> response head received
    body: bytes | None = None
    digest: str | None = None


class Client:
    """A minimal HTTP/1.1 client on one keep-alive connection to 127.0.0.1.

    Bodies are read with ``recv_into`` a preallocated buffer: a 16 MiB ring for large
    downloads (nothing is kept or copied), or a caller's buffer for ranges. On 2 cores the
    client still shares the machine with the server: bench/README.md gives its ceiling.
    """

    RING = 16 * MiB
    RCVBUF = 8 * MiB

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            # A fixed large receive buffer (set before connect, so the window scale fits):
            # on this loopback it lifts the client's ceiling from ~2.0 to ~3.0 GB/s
            # (capped by net.core.rmem_max). Same client, same settings for both servers.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.RCVBUF)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock.settimeout(SOCKET_TIMEOUT)
            self.sock.connect((HOST, port))
        except BaseException:
            self.sock.close()
            raise
        self.ring = memoryview(bytearray(self.RING))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _head(self, path: str, method: str, headers: dict[str, str]) -> bytes:
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {HOST}:{self.port}",
            "User-Agent: classvault-bench",
            "Accept: */*",
        ]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _read_head(self) -> tuple[int, dict[str, str], bytes]:
        data = bytearray()
        while True:
            end = data.find(b"\r\n\r\n")
            if end >= 0:
                break
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed before the response head")
            data += chunk
            if len(data) > 1 << 20:
                raise ConnectionError("response head too large")
        head, rest = bytes(data[:end]).decode("latin-1"), bytes(data[end + 4 :])
        status_line, *header_lines = head.split("\r\n")
        status = int(status_line.split()[1])
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers, rest

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        *,
        body: bytes = b"",
        body_file: Path | None = None,
        body_suffix: bytes = b"",
        body_range: tuple[int, int] | None = None,
        into: memoryview | None = None,
        keep: bool = False,
        hasher: "hashlib._Hash | None" = None,
    ) -> Response:
        """Send a request; read the whole response body.

        ``body`` (bytes) then ``body_file`` (sent with sendfile) then ``body_suffix`` make up
        the request body. The response body is kept only if ``keep`` (small answers) or
        written to ``into`` (ranges); otherwise it only passes through the ring buffer
        (and ``hasher``, if given, which is for untimed verification runs).
        """
        headers = dict(headers or {})
        file_size = body_file.stat().st_size if body_file else 0
        if body_file and body_range:  # (offset, count) of the file only
            file_size = body_range[1]
        total = len(body) + file_size + len(body_suffix)
        if total or method in ("POST", "PUT"):
            headers["Content-Length"] = str(total)
        head = self._head(path, method, headers)
        started = time.perf_counter()
        try:
            self.sock.sendall(head + body if len(body) < 1 << 16 else head)
            if len(body) >= 1 << 16:
                self.sock.sendall(body)
            if body_file:
                with open(body_file, "rb") as f:
                    if body_range:
                        self.sock.sendfile(f, body_range[0], body_range[1])
                    else:
                        self.sock.sendfile(f)
            if body_suffix:
                self.sock.sendall(body_suffix)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early (e.g. 413) and closed: read what it said
        status, resp_headers, rest = self._read_head()
        ttfb = time.perf_counter() - started
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            length = 0
        elif "content-length" in resp_headers:
            length = int(resp_headers["content-length"])
        else:
            raise ConnectionError(
                f"response without Content-Length ({status}, "
                f"{resp_headers.get('transfer-encoding')}) not supported"
            )
        kept = bytearray() if keep else None
        got = len(rest)
        if into is not None:
            into[:got] = rest
        elif kept is not None:
            kept += rest
        if hasher is not None and rest:
            hasher.update(rest)
        ring, ring_size = self.ring, self.RING
        pos = 0
        while got < length:
            want = length - got
            if into is not None:
                n = self.sock.recv_into(into[got:], want)
            else:
                if pos == ring_size:
                    pos = 0
                n = self.sock.recv_into(ring[pos:], min(want, ring_size - pos))
                if kept is not None:
                    kept += ring[pos : pos + n]
                if hasher is not None:
                    hasher.update(ring[pos : pos + n])
                pos += n
            if not n:
                raise ConnectionError(f"connection closed after {got} of {length} bytes")
            got += n
        elapsed = time.perf_counter() - started
        return Response(
            status,
            resp_headers,
            length,
            elapsed,
            ttfb,
            body=bytes(kept) if kept is not None else None,
            digest=hasher.hexdigest() if hasher is not None else None,
        )


def get_token(port: int, username: str) -> str:
    with Client(port) as c:
        r = c.request(
            "POST",
            "/api/v1/auth/token",
            {"Content-Type": "application/json"},
            body=json.dumps({"username": username, "password": PASSWORD}).encode(),
            keep=True,
        )
    if r.status not in (200, 201):
        raise RuntimeError(f"token for {username}: HTTP {r.status} {r.body[:300]!r}")
    return json.loads(r.body)["token"]


# --------------------------------------------------------------------------- processes


class Processes:
    """Every process this benchmark starts, each in its own process group, so it can be
    stopped with its children by its own id (never by name)."""

    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(
        self, name: str, argv: list[str], *, env: dict, log_path: Path, cwd: Path | None = None
    ) -> subprocess.Popen:
        out = open(log_path, "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        out.close()
        self.procs.append((name, proc))
        return proc

    def stop_all(self) -> None:
        for name, proc in reversed(self.procs):
            if proc.poll() is not None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                log(f"{name} (pid {proc.pid}) did not stop on SIGTERM; killing its group")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self.procs.clear()


def wait_for_port(
    port: int, proc: subprocess.Popen, name: str, log_path: Path, timeout: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"{name} exited with {proc.returncode}:\n"
                + log_path.read_text(errors="replace")[-3000:]
            )
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not listen on {HOST}:{port} within {timeout:.0f} s")


def run(argv: list[str], *, env: dict, timeout: float = 600, what: str = "") -> str:
    done = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{what or argv[:3]} failed ({done.returncode}):\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        )
    return done.stdout


def helper(env: dict, *args: str, timeout: float = 600) -> dict:
    out = run(
        [str(PYTHON), str(BENCH / "cv_helper.py"), *args],
        env=env,
        timeout=timeout,
        what=f"cv_helper {args[0]}",
    )
    return json.loads(out.strip().splitlines()[-1])


def ensure_nginx() -> None:
    if NGINX.exists():
        return
    if os.geteuid() != 0:
        raise RuntimeError("nginx is missing: sudo apt-get install -y nginx-light")
    log("installing nginx-light (Debian) ...")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # The Debian package's maintainer script tries to start a system nginx on port 80; on
    # machines without an init system that fails harmlessly. We run our own below.
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "nginx-light"],
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=600,
    )
    if not NGINX.exists():
        subprocess.run(
            ["apt-get", "update", "-qq"],
            env=env,
            check=True,
            timeout=600,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "nginx-light"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=600,
        )


NGINX_CONF = """\
# Benchmark-only nginx: foreground, loopback only, everything under {prefix}.
daemon off;
master_process on;
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    types {{ video/mp4 mp4; }}
    default_type application/octet-stream;
    access_log {prefix}/access.log;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 30s;
    keepalive_requests 10000;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen {host}:{port};
        root {root};
        location / {{ }}
    }}
}}
"""


# --------------------------------------------------------------------------- noise meter

_CLK = os.sysconf("SC_CLK_TCK")


def _system_busy() -> float:
    """CPU seconds all cores spent busy since boot (everything but idle and iowait)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / _CLK


def _group_cpu(pgids: set[int]) -> float:
    """CPU seconds used so far by the live processes of these process groups."""
    total = 0.0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        rest = stat[stat.rfind(")") + 2 :].split()
        if int(rest[2]) in pgids:  # field 5, pgrp
            total += (int(rest[11]) + int(rest[12])) / _CLK  # utime + stime
    return total


class CpuMeter:
    """How much CPU *other* programs used while a phase ran: the machine's busy time minus
    what this benchmark, its helpers and its servers used. On a 2-core machine shared with
    test runs this is what makes numbers jump, so every phase reports it."""

    def __init__(self, procs: "Processes") -> None:
        self.procs = procs

    def snapshot(self) -> tuple[float, float, float, float]:
        t = os.times()
        ours = t.user + t.system + t.children_user + t.children_system
        pgids = {p.pid for _n, p in self.procs.procs if p.poll() is None}
        return time.monotonic(), _system_busy(), ours, _group_cpu(pgids)

    @staticmethod
    def foreign(a, b) -> float:
        """Cores' worth of foreign CPU between snapshots a and b (0.0 .. nproc)."""
        wall = max(1e-6, b[0] - a[0])
        other = (b[1] - a[1]) - (b[2] - a[2]) - max(0.0, b[3] - a[3])
        return max(0.0, other) / wall

    def wait_quiet(self, seconds: float, threshold: float = 0.10) -> float:
        """Wait (at most ``seconds``) until others use < threshold of a core; return it."""
        deadline = time.monotonic() + seconds
        while True:
            a = self.snapshot()
            time.sleep(2.0)
            load = self.foreign(a, self.snapshot())
            if load < threshold or time.monotonic() >= deadline:
                return load
            log(f"machine busy: other programs use {load:.0%} of a core; waiting")


# --------------------------------------------------------------------------- statistics


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


# --------------------------------------------------------------------------- benchmarks


@dataclass
class Target:
    name: str
    classvault: str
    baseline: str
    ratio: str
    target: str
    result: str  # PASS / MISS / info


@dataclass
class Bench:
    args: argparse.Namespace
    tmp: Path
    env: dict
    procs: Processes = field(default_factory=Processes)
    cv_port: int = 0
    cvb_port: int = 0
    nginx_port: int = 0
    token: str = ""
    token_other: str = ""
    recordings: dict[int, dict] = field(default_factory=dict)  # size -> helper answer
    results: dict = field(default_factory=dict)
    rows: list[Target] = field(default_factory=list)
    deadline: float = 0.0
    noise: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def phase(self, name: str):
        """Run a phase and note how much CPU other programs took meanwhile."""
        self.check_time(name)
        meter = CpuMeter(self.procs)
        before = meter.snapshot()
        yield
        self.noise[name] = meter.foreign(before, meter.snapshot())
        if self.noise[name] > 0.10:
            log(
                f"WARNING: during {name} other programs used {self.noise[name]:.0%} of a "
                "core: the figures are disturbed; run again on a quiet machine"
            )

    def check_time(self, phase: str) -> None:
        if time.monotonic() > self.deadline:
            raise TimeoutError(f"--max-seconds exceeded before {phase}")

    # ---- setup

    def setup(self) -> None:
        a = self.args
        home = self.tmp / "home"
        log(f"temporary directory {self.tmp}")
        out = run([str(CLASSVAULT), "init"], env=self.env, what="classvault init")
        log(out.strip().splitlines()[-1])
        run([str(CLASSVAULT), "demo"], env=self.env, what="classvault demo")
        helper(self.env, "guidelines", "sanne")
        www = self.tmp / "www"
        www.mkdir()
        for i, size in enumerate(sorted(self.all_sizes())):
            self.check_time("creating recordings")
            started = time.perf_counter()
            rec = helper(
                self.env,
                "recording",
                "--size",
                str(size),
                "--seed",
                str(a.seed + i),
                "--plaintext",
                str(www / f"rec-{size}.mp4"),
            )
            rec["file"] = str(www / f"rec-{size}.mp4")
            self.recordings[size] = rec
            log(
                f"stored {human(size)} as recording {rec['id']} "
                f"(vault_store {size / MiB / rec['store_seconds']:.0f} MiB/s incl. generating "
                f"and writing the nginx copy; {time.perf_counter() - started:.1f} s in all)"
            )
        assert home.is_dir()

    def all_sizes(self) -> set[int]:
        return set(self.args.stream_sizes) | set(self.args.range_sizes)

    def start_servers(self) -> None:
        a = self.args
        self.cv_port = free_port()
        env = dict(self.env, CLASSVAULT_WEB_THREADS=str(a.threads))
        env.update(a.server_env)
        cv_log = self.tmp / "classvault-serve.log"
        proc = self.procs.start(
            "classvault serve",
            [
                str(CLASSVAULT),
                "serve",
                "--no-worker",
                "--host",
                HOST,
                "--port",
                str(self.cv_port),
                "--workers",
                str(a.workers),
            ],
            env=env,
            log_path=cv_log,
        )
        self.cv_pid = proc.pid
        wait_for_port(self.cv_port, proc, "classvault serve", cv_log)
        if a.compare_env:
            # The same server once more, with the environment of a fix to try: measured
            # interleaved with the shipped one, so both see the same machine.
            self.cvb_port = free_port()
            b_log = self.tmp / "classvault-serve-B.log"
            proc_b = self.procs.start(
                "classvault serve (B)",
                [
                    str(CLASSVAULT),
                    "serve",
                    "--no-worker",
                    "--host",
                    HOST,
                    "--port",
                    str(self.cvb_port),
                    "--workers",
                    str(a.workers),
                ],
                env=env | a.compare_env,
                log_path=b_log,
            )
            wait_for_port(self.cvb_port, proc_b, "classvault serve (B)", b_log)
            log(
                f"classvault serve (B) on {HOST}:{self.cvb_port} with "
                f"{' '.join(f'{k}={v}' for k, v in a.compare_env.items())}"
            )
        log(
            f"classvault serve on {HOST}:{self.cv_port}: gunicorn gthread, "
            f"{a.workers} workers x {a.threads} threads, --no-worker"
        )

        ensure_nginx()
        self.nginx_port = free_port()
        prefix = self.tmp / "nginx"
        prefix.mkdir()
        conf = prefix / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                prefix=prefix,
                workers=a.workers,
                host=HOST,
                port=self.nginx_port,
                root=self.tmp / "www",
            )
        )
        ng_log = prefix / "stdout.log"
        proc = self.procs.start(
            "nginx",
            [str(NGINX), "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf)],
            env=dict(os.environ),
            log_path=ng_log,
        )
        wait_for_port(self.nginx_port, proc, "nginx", ng_log)
        log(f"nginx on {HOST}:{self.nginx_port}: {a.workers} worker processes, sendfile on")

        self.token = get_token(self.cv_port, "sanne")
        self.token_other = get_token(self.cv_port, "tim")

    def cv_path(self, size: int) -> str:
        return f"/api/v1/recordings/{self.recordings[size]['id']}/stream"

    def ng_path(self, size: int) -> str:
        return f"/rec-{size}.mp4"

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def audit_count(self, size: int) -> int:
        return helper(self.env, "audit-count", "--recording", self.recordings[size]["id"])["count"]

    # ---- checks

    def check_authorisation(self) -> None:
        size = min(self.all_sizes())
        hdr = {"Range": "bytes=1048576-1048580"}
        with Client(self.cv_port) as c:
            anonymous = c.request("GET", self.cv_path(size), hdr, keep=True).status
        with Client(self.cv_port) as c:
            stranger = c.request(
                "GET",
                self.cv_path(size),
                hdr | {"Authorization": f"Bearer {self.token_other}"},
                keep=True,
            ).status
        with Client(self.cv_port) as c:
            owner = c.request("GET", self.cv_path(size), hdr | self.auth(), keep=True).status
        ok = (anonymous, stranger, owner) == (401, 404, 206)
        self.results["authorisation"] = {
            "no_token": anonymous,
            "other_student": stranger,
            "owner": owner,
            "ok": ok,
        }
        self.rows.append(
            Target(
                "authorisation on the stream path",
                f"no token {anonymous}, other student {stranger}, owner {owner}",
                "-",
                "-",
                "401 / 404 / 206",
                "PASS" if ok else "MISS",
            )
        )

    # ---- (1) full stream

    def full_stream(self) -> None:
        a = self.args
        out = {}
        for size in a.stream_sizes:
            self.check_time("full stream")
            rec = self.recordings[size]
            before = self.audit_count(size)
            # Untimed warm-up that also proves both servers send exactly the same bytes.
            for name, port, path, hdr in self._servers(size):
                with Client(port) as c:
                    r = c.request("GET", path, hdr, hasher=hashlib.sha256())
                if r.status != 200 or r.length != size or r.digest != rec["sha256"]:
                    raise RuntimeError(
                        f"{name} full GET of {human(size)}: status {r.status}, "
                        f"{r.length} bytes, sha256 match "
                        f"{r.digest == rec['sha256']}"
                    )
            runs: dict[str, list[dict]] = {n: [] for n, *_ in self._servers(size)}
            for _ in range(a.repeat):
                for name, port, path, hdr in self._servers(size):
                    with Client(port) as c:
                        r = c.request("GET", path, hdr)
                    assert r.status == 200 and r.length == size, (name, r.status, r.length)
                    runs[name].append(
                        {
                            "seconds": r.elapsed,
                            "ttfb_ms": r.ttfb * 1000,
                            "mibs": size / MiB / r.elapsed,
                        }
                    )
            after = self.audit_count(size)
            cv = median([x["mibs"] for x in runs["classvault"]])
            ng = median([x["mibs"] for x in runs["nginx"]])
            out[size] = {
                "classvault_mibs": cv,
                "nginx_mibs": ng,
                "ratio": cv / ng,
                "classvault_ttfb_ms": median([x["ttfb_ms"] for x in runs["classvault"]]),
                "nginx_ttfb_ms": median([x["ttfb_ms"] for x in runs["nginx"]]),
                "runs": runs,
                "audit_events": after - before,
                "playbacks": (1 + a.repeat) * self.cv_servers,
            }
            log(
                f"full stream {human(size)}: ClassVault {cv:.0f} MiB/s, nginx {ng:.0f} MiB/s "
                f"({cv / ng:.0%}); audit events {after - before} for "
                f"{(1 + a.repeat) * self.cv_servers} playbacks"
            )
            lo_cv = min(x["mibs"] for x in runs["classvault"])
            hi_cv = max(x["mibs"] for x in runs["classvault"])
            lo_ng = min(x["mibs"] for x in runs["nginx"])
            hi_ng = max(x["mibs"] for x in runs["nginx"])
            self.rows.append(
                Target(
                    f"(1) full stream {human(size)}, MiB/s (median of {a.repeat}; min-max)",
                    f"{cv:,.0f} ({lo_cv:,.0f}-{hi_cv:,.0f})",
                    f"nginx {ng:,.0f} ({lo_ng:,.0f}-{hi_ng:,.0f})",
                    f"{cv / ng:.0%}",
                    f">= {TARGET_STREAM_RATIO:.0%} of nginx",
                    "PASS" if cv / ng >= TARGET_STREAM_RATIO else "MISS",
                )
            )
            if self.cvb_port:
                b = median([x["mibs"] for x in runs["classvault_B"]])
                out[size]["classvault_B_mibs"] = b
                out[size]["classvault_B_ttfb_ms"] = median(
                    [x["ttfb_ms"] for x in runs["classvault_B"]]
                )
                self.rows.append(
                    Target(
                        f"(1) full stream {human(size)}, EXPERIMENT {self.b_label()}",
                        f"{b:,.0f} (shipped {cv:,.0f})",
                        f"nginx {ng:,.0f}",
                        f"{b / ng:.0%}",
                        "(info)",
                        "info",
                    )
                )
            self.rows.append(
                Target(
                    f"(1) time to first byte, full stream {human(size)}, ms (median)",
                    f"{out[size]['classvault_ttfb_ms']:.1f}",
                    f"nginx {out[size]['nginx_ttfb_ms']:.1f}",
                    "-",
                    "(info)",
                    "info",
                )
            )
        self.results["full_stream"] = out

    def _servers(self, size: int):
        yield "classvault", self.cv_port, self.cv_path(size), self.auth()
        if self.cvb_port:
            yield "classvault_B", self.cvb_port, self.cv_path(size), self.auth()
        yield "nginx", self.nginx_port, self.ng_path(size), {}

    @property
    def cv_servers(self) -> int:
        return 2 if self.cvb_port else 1

    def b_label(self) -> str:
        return "B: " + " ".join(f"{k}={v}" for k, v in self.args.compare_env.items())

    # ---- (2) ranges

    def ranges(self) -> None:
        a = self.args
        out = {}
        for size in a.range_sizes:
            self.check_time("ranges")
            rec = self.recordings[size]
            before = self.audit_count(size)
            rng = random.Random(a.seed)
            # Never start at byte 0: that is how a player starts a playback (audited).
            offsets = [rng.randrange(1, size - MiB + 1) for _ in range(a.ranges)]
            warm = random.Random(a.seed + 1000)
            warm_offsets = [warm.randrange(1, size - MiB + 1) for _ in range(20)]
            buf = memoryview(bytearray(MiB))
            per: dict[str, dict] = {n: {"runs": []} for n, *_ in self._servers(size)}
            with open(rec["file"], "rb") as plain:
                fd = plain.fileno()
                for name, port, path, hdr in self._servers(size):  # warm-up
                    with Client(port) as c:
                        for off in warm_offsets:
                            r = c.request(
                                "GET",
                                path,
                                hdr | {"Range": f"bytes={off}-{off + MiB - 1}"},
                                into=buf,
                            )
                            assert r.status == 206, (name, r.status)
                mismatches = 0
                for _rep in range(a.range_repeat):
                    for name, port, path, hdr in self._servers(size):
                        lat = []
                        with Client(port) as c:
                            # A playback starts at byte 0 (the one audited request) ...
                            start = c.request(
                                "GET", path, hdr | {"Range": f"bytes=0-{MiB - 1}"}, into=buf
                            )
                            assert start.status == 206, (name, start.status)
                            # ... then the player seeks: 200 random 1 MiB ranges.
                            for off in offsets:
                                r = c.request(
                                    "GET",
                                    path,
                                    hdr | {"Range": f"bytes={off}-{off + MiB - 1}"},
                                    into=buf,
                                )
                                lat.append(r.elapsed * 1000)
                                if (
                                    r.status != 206
                                    or r.length != MiB
                                    or buf != os.pread(fd, MiB, off)
                                ):
                                    mismatches += 1
                        per[name]["runs"].append(
                            {
                                "p50_ms": median(lat),
                                "p99_ms": percentile(lat, 99),
                                "mean_ms": statistics.fmean(lat),
                                "max_ms": max(lat),
                                "first_request_ms": start.elapsed * 1000,
                            }
                        )
            if mismatches:
                raise RuntimeError(f"{mismatches} ranges of {human(size)} had wrong bytes")
            after = self.audit_count(size)
            for name in list(per):
                runs = per[name]["runs"]
                for key in ("p50_ms", "p99_ms", "mean_ms", "first_request_ms"):
                    per[name][key] = median([r[key] for r in runs])
            per["audit_events"] = after - before
            per["playbacks"] = a.range_repeat * self.cv_servers
            per["range_requests"] = (a.range_repeat * (1 + a.ranges) + 20) * self.cv_servers
            out[size] = per
            log(
                f"ranges {human(size)}: ClassVault p50 {per['classvault']['p50_ms']:.2f} ms "
                f"p99 {per['classvault']['p99_ms']:.2f} ms; nginx p50 "
                f"{per['nginx']['p50_ms']:.2f} ms p99 {per['nginx']['p99_ms']:.2f} ms; "
                f"audit events {after - before} for {per['playbacks']} playbacks and "
                f"{per['range_requests']} range requests"
            )
        self.results["ranges"] = out
        for size in a.range_sizes:
            cv, ng = out[size]["classvault"], out[size]["nginx"]
            self.rows.append(
                Target(
                    f"(2) Range 1 MiB p50 on {human(size)}, ms",
                    f"{cv['p50_ms']:.2f}",
                    f"nginx {ng['p50_ms']:.2f}",
                    f"{cv['p50_ms'] / ng['p50_ms']:.1f}x",
                    f"<= {TARGET_RANGE_P50_MS:g} ms",
                    "PASS" if cv["p50_ms"] <= TARGET_RANGE_P50_MS else "MISS",
                )
            )
            self.rows.append(
                Target(
                    f"(2) Range 1 MiB p99 on {human(size)}, ms",
                    f"{cv['p99_ms']:.2f}",
                    f"nginx {ng['p99_ms']:.2f}",
                    f"{cv['p99_ms'] / ng['p99_ms']:.1f}x",
                    "(info)",
                    "info",
                )
            )
            if self.cvb_port:
                b = out[size]["classvault_B"]
                self.rows.append(
                    Target(
                        f"(2) Range 1 MiB p50 / p99 on {human(size)}, EXPERIMENT {self.b_label()}",
                        f"{b['p50_ms']:.2f} / {b['p99_ms']:.2f} (shipped {cv['p50_ms']:.2f} / "
                        f"{cv['p99_ms']:.2f})",
                        f"nginx {ng['p50_ms']:.2f} / {ng['p99_ms']:.2f}",
                        "-",
                        "(info)",
                        "info",
                    )
                )
            self.rows.append(
                Target(
                    f"(2) playback start (Range bytes=0-1048575, audited) on {human(size)}, ms",
                    f"{cv['first_request_ms']:.2f}",
                    f"nginx {ng['first_request_ms']:.2f}",
                    "-",
                    "(info)",
                    "info",
                )
            )
        small, large = min(a.range_sizes), max(a.range_sizes)
        if small != large:
            cv_ratio = out[large]["classvault"]["p50_ms"] / out[small]["classvault"]["p50_ms"]
            ng_ratio = out[large]["nginx"]["p50_ms"] / out[small]["nginx"]["p50_ms"]
            self.results["range_scaling"] = {"classvault": cv_ratio, "nginx": ng_ratio}
            self.rows.append(
                Target(
                    f"(2) Range p50 {human(large)} / {human(small)}",
                    f"{cv_ratio:.2f}",
                    f"nginx {ng_ratio:.2f}",
                    "-",
                    f"<= {TARGET_RANGE_SCALING:g}",
                    "PASS" if cv_ratio <= TARGET_RANGE_SCALING else "MISS",
                )
            )
        events = {s: out[s]["audit_events"] for s in a.range_sizes}
        ok = all(out[s]["audit_events"] == out[s]["playbacks"] for s in a.range_sizes)
        self.rows.append(
            Target(
                "audit events recording.stream per Range run",
                ", ".join(
                    f"{human(s)}: {n} for {out[s]['playbacks']} playback(s) / "
                    f"{out[s]['range_requests']} requests"
                    for s, n in events.items()
                ),
                "-",
                "-",
                "1 per playback, not per range",
                "PASS" if ok else "MISS",
            )
        )

    def breakdown(self) -> None:
        """Diagnostics: the steps of one Range request timed in-process (bench/cv_helper.py)."""
        out = {}
        for size in self.args.range_sizes:
            # Same environment as the server, including any --server-env experiment.
            out[size] = helper(
                self.env | self.args.server_env,
                "breakdown",
                "--recording",
                self.recordings[size]["id"],
                "--token",
                self.token,
                "--repeat",
                "100",
            )
        self.results["range_breakdown_ms"] = out

    # ---- (3) ingest

    def ingest(self) -> None:
        a = self.args
        self.check_time("ingest")
        video = self.tmp / "upload.mkv"
        info = helper(
            self.env,
            "video",
            "--size",
            str(a.ingest_size),
            "--seed",
            str(a.seed + 77),
            "--out",
            str(video),
        )
        size = info["size"]
        boundary = f"----classvault-bench-{uuid.uuid4().hex}"

        def part(name: str, value: str) -> str:
            return (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            )

        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        prefix = (
            part("title", "Benchmark upload")
            + part("recorded_at", now)
            + part("pupils", "[]")
            + f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="les.mkv"\r\nContent-Type: video/x-matroska\r\n\r\n'
        ).encode()
        suffix = f"\r\n--{boundary}--\r\n".encode()
        ctype = f"multipart/form-data; boundary={boundary}"

        sink_port = free_port()
        sink_log = self.tmp / "sink.log"
        sink = self.procs.start(
            "sink",
            [
                str(PYTHON),
                str(BENCH / "sink_server.py"),
                "--port",
                str(sink_port),
                "--max-requests",
                "50",
            ],
            env=dict(os.environ),
            log_path=sink_log,
        )
        wait_for_port(sink_port, sink, "sink", sink_log)
        # The readiness probe above was one (empty) connection for the sink: fine.

        def upload(port: int, headers: dict[str, str]) -> Response:
            with Client(port) as c:
                return c.request(
                    "POST",
                    "/api/v1/recordings",
                    headers | {"Content-Type": ctype},
                    body=prefix,
                    body_file=video,
                    body_suffix=suffix,
                    keep=True,
                )

        runs: dict[str, list[float]] = {"classvault": [], "sink": [], "resumable": []}
        phases: list[dict] = []
        statuses = []
        for rep in range(a.ingest_repeat + 1):  # the first round is the warm-up
            self.check_time("ingest")
            r = upload(self.cv_port, self.auth())
            statuses.append(r.status)
            if r.status != 201:
                raise RuntimeError(f"upload answered {r.status}: {r.body[:500]!r}")
            s = upload(sink_port, {})
            assert s.status == 201, s.status
            res = self._resumable(video, size, now)
            if rep:
                runs["classvault"].append(size / MiB / r.elapsed)
                runs["sink"].append(size / MiB / s.elapsed)
                if res is not None:
                    runs["resumable"].append(size / MiB / res["total"])
                    phases.append(res)
        vault = helper(self.env, "vault-write", "--file", str(video), "--repeat", "3")
        cv, sk = median(runs["classvault"]), median(runs["sink"])
        enc = size / MiB / vault["encrypt_seconds"]
        store = size / MiB / vault["store_seconds"]
        self.results["ingest"] = {
            "bytes": size,
            "what": "multipart POST /api/v1/recordings of a real rawvideo MKV, "
            "request sent -> 201 received",
            "classvault_mibs": cv,
            "sink_mibs": sk,
            "segment_encrypt_mibs": enc,
            "vault_store_mibs": store,
            "runs": runs,
            "statuses": statuses,
        }
        log(
            f"ingest {human(size)}: ClassVault {cv:.0f} MiB/s; Python socket sink {sk:.0f} "
            f"MiB/s; in-process SegmentWriter {enc:.0f} MiB/s, vault_store {store:.0f} MiB/s"
        )
        self.rows.append(
            Target(
                f"(3) ingest: multipart POST /recordings of {size / MiB:.0f} MiB -> 201, MiB/s "
                f"(median of {a.ingest_repeat})",
                f"{cv:,.0f}",
                f"Python socket sink {sk:,.0f}",
                f"{cv / sk:.0%}",
                f">= {TARGET_INGEST_MIBS:g} MiB/s",
                "PASS" if cv >= TARGET_INGEST_MIBS else "MISS",
            )
        )
        if runs["resumable"]:
            rs = median(runs["resumable"])
            put = median([size / MiB / p["chunks"] for p in phases])
            done = median([p["complete"] for p in phases])
            self.results["ingest"].update(
                resumable_mibs=rs,
                resumable_phases=phases,
                resumable_chunk_size=phases[0]["chunk_size"],
            )
            log(
                f"resumable upload {human(size)}: {rs:.0f} MiB/s overall; chunks "
                f"{put:.0f} MiB/s, complete {done:.2f} s"
            )
            self.rows.append(
                Target(
                    f"(3) ingest: resumable upload (browser path: {phases[0]['chunk_size'] >> 20}"
                    f" MiB PUTs + complete), MiB/s",
                    f"{rs:,.0f} (PUTs {put:,.0f}, complete {done:.2f} s)",
                    f"Python socket sink {sk:,.0f}",
                    f"{rs / sk:.0%}",
                    f">= {TARGET_INGEST_MIBS:g} MiB/s",
                    "PASS" if rs >= TARGET_INGEST_MIBS else "MISS",
                )
            )
            self.rows.append(
                Target(
                    "(3) ingest: resumable upload against the multipart path, same bytes",
                    f"{rs:,.0f} MiB/s",
                    f"multipart {cv:,.0f} MiB/s",
                    f"{rs / cv:.0%}",
                    f">= {TARGET_RESUMABLE_RATIO:.0%} of multipart",
                    "PASS" if rs >= TARGET_RESUMABLE_RATIO * cv else "MISS",
                )
            )
            self.complete_scaling(now)
        else:
            self.results["ingest"]["resumable"] = "not available in this version"
        self.rows.append(
            Target(
                "(3) same bytes in-process: vault_store (encrypt+write+fsync), MiB/s",
                f"{store:,.0f}",
                f"AES-GCM SegmentWriter only {enc:,.0f}",
                f"{cv / store:.0%}",
                "(info)",
                "info",
            )
        )

    def complete_scaling(self, now: str) -> None:
        """Completion (POST /uploads/{id}/complete -> 201) of a small and a large resumable
        upload: sealing touches at most one segment, so it should not grow with the size."""
        a = self.args
        times: dict[int, list[float]] = {}
        for size in a.complete_sizes:
            self.check_time("completion")
            video = self.tmp / f"complete-{size}.mkv"
            helper(
                self.env,
                "video",
                "--size",
                str(size),
                "--seed",
                str(a.seed + 91),
                "--out",
                str(video),
            )
            runs = []
            for rep in range(a.complete_repeat + 1):  # the first round is the warm-up
                res = self._resumable(video, video.stat().st_size, now)
                if res is None:
                    return
                if rep:
                    runs.append(res["complete"])
            times[size] = runs
            video.unlink()
        small, large = min(times), max(times)
        t_small, t_large = median(times[small]), median(times[large])
        self.results["ingest"]["complete_seconds"] = {str(k): v for k, v in times.items()}
        log(
            f"resumable completion: {human(small)} {t_small * 1000:.0f} ms, "
            f"{human(large)} {t_large * 1000:.0f} ms"
        )
        self.rows.append(
            Target(
                f"(3) ingest: resumable completion {human(large)} vs {human(small)}, ms "
                f"(median of {a.complete_repeat})",
                f"{t_large * 1000:,.0f}",
                f"{human(small)}: {t_small * 1000:,.0f}",
                f"{t_large / t_small:.2f}x",
                f"<= {TARGET_COMPLETE_SCALING:g}x",
                "PASS" if t_large <= TARGET_COMPLETE_SCALING * t_small else "MISS",
            )
        )

    def _resumable(self, video: Path, size: int, now: str) -> dict | None:
        """The browser's resumable upload (POST /uploads, PUT chunks in order, complete),
        timed from the first request to the 201 of the completion. None if absent."""
        js = self.auth() | {"Content-Type": "application/json"}
        started = time.perf_counter()
        with Client(self.cv_port) as c:
            r = c.request(
                "POST",
                "/api/v1/uploads",
                js,
                keep=True,
                body=json.dumps({"size": size, "filename": "les.mkv"}).encode(),
            )
            if r.status in (404, 405):
                return None
            if r.status != 201:
                raise RuntimeError(f"POST /uploads answered {r.status}: {r.body[:300]!r}")
            state = json.loads(r.body)
            upload_id, chunk = state["id"], int(state["chunk_size"])
            offset = int(state["received"])
            for _ in range(size // chunk + 2):  # bounded: one PUT per chunk
                if offset >= size:
                    break
                n = min(chunk, size - offset)
                r = c.request(
                    "PUT",
                    f"/api/v1/uploads/{upload_id}",
                    self.auth()
                    | {
                        "Content-Type": "application/octet-stream",
                        "Content-Range": f"bytes {offset}-{offset + n - 1}/{size}",
                    },
                    body_file=video,
                    body_range=(offset, n),
                    keep=True,
                )
                if r.status != 200:
                    raise RuntimeError(
                        f"PUT chunk at {offset} answered {r.status}: {r.body[:300]!r}"
                    )
                offset = int(json.loads(r.body)["received"])
            if offset != size:
                raise RuntimeError(f"resumable upload stopped at {offset} of {size}")
            chunks_done = time.perf_counter()
            r = c.request(
                "POST",
                f"/api/v1/uploads/{upload_id}/complete",
                js,
                keep=True,
                body=json.dumps(
                    {"title": "Benchmark resumable upload", "recorded_at": now, "pupils": []}
                ).encode(),
            )
            if r.status != 201:
                raise RuntimeError(f"complete answered {r.status}: {r.body[:300]!r}")
        finished = time.perf_counter()
        return {
            "total": finished - started,
            "chunks": chunks_done - started,
            "complete": finished - chunks_done,
            "chunk_size": chunk,
        }


# --------------------------------------------------------------------------- report


def machine() -> dict:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    flags = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                have = set(line.split(":", 1)[1].split())
                flags = " ".join(
                    f for f in ("aes", "vaes", "avx2", "avx512f", "sha_ni") if f in have
                )
                break
    versions = {}
    with contextlib.suppress(Exception):
        out = subprocess.run(
            [
                str(PYTHON),
                "-c",
                "import sys; from importlib.metadata import version as v; "
                "print(sys.version.split()[0], *(v(p) for p in ('django', 'gunicorn', "
                "'cryptography', 'django-ninja')))",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.split()
        versions = dict(
            zip(["python", "django", "gunicorn", "cryptography", "django-ninja"], out, strict=False)
        )
    with contextlib.suppress(Exception):
        nginx_v = (
            subprocess.run([str(NGINX), "-v"], capture_output=True, text=True, timeout=10)
            .stderr.strip()
            .split("/")[-1]
        )
        versions["nginx"] = nginx_v
    with contextlib.suppress(Exception):
        versions["openssl"] = subprocess.run(
            [
                str(PYTHON),
                "-c",
                "from cryptography.hazmat.backends.openssl import backend; "
                "print(backend.openssl_version_text())",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "cpu_flags": flags,
        "kernel": platform.release(),
        "versions": versions,
    }


def render(rows: list[Target], meta: dict) -> str:
    head = ["benchmark", "ClassVault", "baseline (same run)", "ratio", "target", "result"]
    body = [[r.name, r.classvault, r.baseline, r.ratio, r.target, r.result] for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]

    def line(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    text = [line(head), sep] + [line(b) for b in body]
    return "\n".join([meta["title"], "", *text, ""])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small run: 64M/256M, 1 range round, 64 MiB upload (~1 min)",
    )
    parser.add_argument(
        "--sizes",
        type=lambda s: [parse_size(x) for x in s.split(",")],
        help="recording sizes; the range test uses the smallest and largest, "
        "the full stream every size >= 256 MiB (default 64M,256M,1G)",
    )
    parser.add_argument(
        "--stream-sizes",
        type=lambda s: [parse_size(x) for x in s.split(",")],
        help="sizes for the full-stream test (the first one carries the target)",
    )
    parser.add_argument("--ingest-size", type=parse_size, help="upload size (default 256M)")
    parser.add_argument("--repeat", type=int, help="timed full-stream runs per server (7)")
    parser.add_argument("--ranges", type=int, default=200, help="random ranges per run (200)")
    parser.add_argument("--range-repeat", type=int, help="rounds of the range test (3)")
    parser.add_argument("--ingest-repeat", type=int, help="timed uploads (3)")
    parser.add_argument(
        "--complete-sizes",
        type=lambda text: [parse_size(t) for t in text.split(",")],
        help="resumable uploads whose completion is timed (64M,1G)",
    )
    parser.add_argument("--complete-repeat", type=int, help="timed completions per size (3)")
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="gunicorn workers for classvault serve and nginx worker_processes"
        " (default 2 = one per core)",
    )
    parser.add_argument(
        "--threads", type=int, default=4, help="gthread threads per gunicorn worker (default 4)"
    )
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=900,
        help="give up (and clean up) when a phase starts later than this",
    )
    parser.add_argument("--tmp", type=Path, default=None, help="parent of the temporary dir")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--out",
        type=Path,
        default=BENCH / "results",
        help="where latest.json and latest.md go (default bench/results)",
    )
    parser.add_argument("--skip", default="", help="comma list of: stream,ranges,ingest,breakdown")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for `classvault serve` only, to try a fix "
        "without editing src/ (e.g. MALLOC_TOP_PAD_=67108864); the report "
        "marks such a run as an experiment. Repeatable",
    )
    parser.add_argument(
        "--compare-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="also run a second `classvault serve` (B) with this extra "
        "environment and measure it interleaved with the shipped one in the "
        "stream and range tests (A/B of a fix on the same machine state). "
        "Repeatable",
    )
    parser.add_argument(
        "--ref",
        metavar="REV",
        help="benchmark the src/ of this git revision (e.g. HEAD) instead of the work tree",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first wait up to this long until other programs use < 10%% "
        "of a core (test runs on the same 2 cores distort every figure)",
    )
    parser.add_argument(
        "--hold",
        type=float,
        default=0,
        metavar="SECONDS",
        help="only set up, print ports/token/paths, keep both servers up this "
        "long (for profiling by hand), then clean up; measures nothing",
    )
    args = parser.parse_args()

    if args.quick:
        args.sizes = args.sizes or [64 * MiB, 256 * MiB]
        args.repeat = args.repeat or 3
        args.range_repeat = args.range_repeat or 1
        args.ingest_size = args.ingest_size or 64 * MiB
        args.ingest_repeat = args.ingest_repeat or 2
        args.complete_repeat = args.complete_repeat or 2
    args.sizes = sorted(args.sizes or [64 * MiB, 256 * MiB, 1 << 30])
    args.repeat = args.repeat or 7
    args.range_repeat = args.range_repeat or 3
    args.ingest_size = args.ingest_size or 256 * MiB
    args.ingest_repeat = args.ingest_repeat or 3
    args.complete_sizes = args.complete_sizes or [64 * MiB, 1 << 30]
    args.complete_repeat = args.complete_repeat or 3
    args.stream_sizes = args.stream_sizes or (
        [s for s in args.sizes if s >= 256 * MiB] or [max(args.sizes)]
    )
    args.range_sizes = sorted({min(args.sizes), max(args.sizes)})
    if min(args.range_sizes) < 2 * MiB:
        parser.error("range sizes must be at least 2 MiB")
    skip = {s for s in args.skip.split(",") if s}
    try:
        args.server_env = dict(kv.split("=", 1) for kv in args.server_env)
        args.compare_env = dict(kv.split("=", 1) for kv in args.compare_env)
    except ValueError:
        parser.error("--server-env and --compare-env take KEY=VALUE")
    if not PYTHON.exists() or not CLASSVAULT.exists():
        parser.error(f"{PYTHON} / {CLASSVAULT} missing: run `make install` in {ROOT} first")

    started_wall = dt.datetime.now(dt.UTC)
    tmp = Path(tempfile.mkdtemp(prefix="classvault-bench-", dir=args.tmp))
    # nginx's workers drop root: let them pass through (not list) to www/ (0755); the data
    # home inside keeps its own 0700.
    os.chmod(tmp, 0o711)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CLASSVAULT_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        CLASSVAULT_HOME=str(tmp / "home"),
        DJANGO_SETTINGS_MODULE="classvault.settings",
        CLASSVAULT_LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("PYTHONPATH", None)
    if args.ref:
        # Measure a committed revision instead of the (possibly half-edited) work tree: its
        # src/ goes first on sys.path, ahead of the venv's editable install of the work tree.
        ref_src = tmp / "ref"
        ref_src.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.ref, "src"],
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(ref_src)], input=archive, check=True, timeout=120)
        env["PYTHONPATH"] = str(ref_src / "src")
        args.ref_commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", args.ref],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    else:
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "src"], capture_output=True, text=True
        ).stdout.strip()
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        args.ref_commit = f"work tree at {head}" + (
            " + uncommitted changes in src/" if dirty else ""
        )
    bench = Bench(args=args, tmp=tmp, env=env, deadline=time.monotonic() + args.max_seconds)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    # SIGINT too: a shell starts background jobs with SIGINT ignored.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    code = 1
    try:
        meta = machine()
        quiet = CpuMeter(bench.procs).wait_quiet(args.wait_quiet)
        meta["foreign_cpu_before"] = quiet
        log(f"other programs use {quiet:.0%} of a core before the start")
        bench.setup()
        bench.start_servers()
        bench.check_authorisation()
        if args.hold:
            info = {
                "classvault": f"http://{HOST}:{bench.cv_port}",
                "classvault_pid": bench.cv_pid,
                "nginx": f"http://{HOST}:{bench.nginx_port}",
                "token": bench.token,
                "env": {k: env[k] for k in ("CLASSVAULT_HOME", "DJANGO_SETTINGS_MODULE")},
                "recordings": {
                    human(s): {"stream": bench.cv_path(s), "nginx": bench.ng_path(s)}
                    for s in sorted(bench.recordings)
                },
            }
            print(json.dumps(info, indent=2), flush=True)
            log(f"holding the servers for {args.hold:.0f} s (Ctrl-C to stop early)")
            with contextlib.suppress(KeyboardInterrupt):
                time.sleep(args.hold)
            skip |= {"stream", "ranges", "ingest"}
        if "stream" not in skip:
            with bench.phase("stream"):
                bench.full_stream()
        if "ranges" not in skip:
            with bench.phase("ranges"):
                bench.ranges()
        if "ingest" not in skip:
            with bench.phase("ingest"):
                bench.ingest()
        if "breakdown" not in skip:
            with bench.phase("breakdown"):
                bench.breakdown()
        v = meta["versions"]
        meta["title"] = (
            f"ClassVault stream benchmark, {started_wall:%Y-%m-%d %H:%M} UTC"
            f"{' (--quick)' if args.quick else ''}, code: {args.ref_commit}. "
            f"Machine: {meta['nproc']} cores {meta['cpu']} "
            f"[{meta['cpu_flags']}], Linux {meta['kernel']}, Python {v.get('python')}, "
            f"Django {v.get('django')}, gunicorn {v.get('gunicorn')} (gthread, "
            f"{args.workers} workers x {args.threads} threads), cryptography "
            f"{v.get('cryptography')}, nginx {v.get('nginx')} ({args.workers} workers, "
            f"sendfile on); client: Python raw-socket HTTP/1.1, recv_into a preallocated "
            f"buffer; all traffic on {HOST}; files in the page cache."
            + " CPU used by other programs meanwhile (cores): "
            + ", ".join(f"{k} {v:.2f}" for k, v in bench.noise.items())
            + (
                " - DISTURBED, repeat on a quiet machine."
                if any(v > 0.10 for v in bench.noise.values())
                else " (quiet)."
            )
            + (
                f" EXPERIMENT, not the shipped configuration: classvault serve ran with "
                f"{' '.join(f'{k}={v}' for k, v in args.server_env.items())}."
                if args.server_env
                else ""
            )
        )
        table = render(bench.rows, meta)
        if "range_breakdown_ms" in bench.results:
            bd = bench.results["range_breakdown_ms"]
            sizes = sorted(bd)
            steps = list(bd[sizes[0]])
            lines = [
                "",
                "Where a 1 MiB Range request's time goes (in-process, no HTTP; median ms of 100):",
                "",
                "| step | " + " | ".join(human(s) for s in sizes) + " |",
                "|---|" + "---|" * len(sizes),
            ]
            lines += [
                f"| {step} | " + " | ".join(f"{bd[s][step]:.3f}" for s in sizes) + " |"
                for step in steps
            ]
            table += "\n".join(lines) + "\n"
        print()
        print(table)
        if not args.hold:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "latest.md").write_text(table)
            (args.out / "latest.json").write_text(
                json.dumps(
                    {
                        "started": started_wall.isoformat(),
                        "argv": sys.argv[1:],
                        "machine": meta,
                        "settings": {
                            k: (v if not isinstance(v, Path) else str(v))
                            for k, v in vars(args).items()
                        },
                        "results": bench.results,
                        "foreign_cpu_cores": bench.noise,
                        "rows": [vars(r) for r in bench.rows],
                    },
                    indent=2,
                    default=str,
                )
            )
            log(f"wrote {args.out / 'latest.md'} and latest.json")
        log(f"{(dt.datetime.now(dt.UTC) - started_wall).total_seconds():.0f} s in all")
        code = 0 if all(r.result != "MISS" for r in bench.rows) else 3
    except KeyboardInterrupt as exc:
        log(f"interrupted ({exc}); cleaning up")
        code = 130
    finally:
        bench.procs.stop_all()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
