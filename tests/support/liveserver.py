"""A real `classvault serve` on the embedded default, in its own data home, for tests that
check the product from outside (HTTP only), as a school's system or a browser would."""

import atexit
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

from django_otp.oath import hotp

DEMO_PASSWORD = "demo-wachtwoord-2026"
# The `classvault serve` process behind each running server's base URL.
SERVERS: dict[str, subprocess.Popen] = {}
# The demo's second-factor keys per server, and the code steps handed out (each used once).
FACTOR_KEYS: dict[str, dict[str, bytes]] = {}
_USED_STEPS: dict[tuple[str, str], set[int]] = {}


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLASSVAULT_", "DATABASE_URL", "DJANGO_"))
    }
    env["CLASSVAULT_HOME"] = str(home)
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(
    home: Path, *, worker: bool = False, env_extra: dict | None = None, workers: int = 1
):
    """init + demo + serve; yields the base URL; stops the server (and its worker) after."""
    env = clean_env(home, **(env_extra or {}))
    cli = [sys.executable, "-m", "classvault.cli"]
    keys = demo_factor_keys(demo_home(home, env_extra))
    port = _free_port()
    args = ["serve", "--port", str(port), "--workers", str(workers)]
    if not worker:
        args.append("--no-worker")
    proc = subprocess.Popen(
        cli + args,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    SERVERS[base] = proc
    FACTOR_KEYS[base] = keys
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/v1/health", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("classvault serve did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        SERVERS.pop(base, None)
        FACTOR_KEYS.pop(base, None)
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)


# Homes after `classvault init` and `classvault demo`, made once per test process and per
# environment, with what `demo` printed: each server or test then starts from a copy of one.
_DEMO_TEMPLATES: dict[tuple, tuple[Path, str]] = {}


def demo_home(home: Path, env_extra: dict | None = None) -> str:
    """Make ``home`` a data home as `classvault init` and `classvault demo` leave it, and
    return what `demo` printed (its logins and second-factor keys).

    The two commands run once per test process for each environment (the suite starts some
    twenty servers; both commands together take seconds); every home is a copy of that
    result, with its own database and blobs but the same keys and demo data. An object
    store is outside the home and cannot be copied, so homes on one always run the commands.
    """
    env_extra = env_extra or {}
    if "CLASSVAULT_STORAGE_URL" in env_extra:
        return _init_and_demo(home, env_extra)
    key = tuple(sorted(env_extra.items()))
    if key not in _DEMO_TEMPLATES:
        folder = tempfile.mkdtemp(prefix="classvault-demo-home-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = Path(folder) / "data"
        _DEMO_TEMPLATES[key] = (template, _init_and_demo(template, env_extra))
    template, printed = _DEMO_TEMPLATES[key]
    shutil.copytree(template, home, dirs_exist_ok=True)
    return printed


def _init_and_demo(home: Path, env_extra: dict) -> str:
    env = clean_env(home, **env_extra)
    cli = [sys.executable, "-m", "classvault.cli"]
    for step in (["init"], ["demo"]):
        done = subprocess.run(cli + step, env=env, check=True, capture_output=True, timeout=120)
    return done.stdout.decode()


def child_pids(pid: int) -> list[int]:
    """The live children of process ``pid`` (Linux /proc)."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return children


def worker_pid(base: str) -> int | None:
    """The pid of the background worker `classvault serve` runs, or None while there is none."""
    for child in child_pids(SERVERS[base].pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"classvault.cli" in command and b"worker" in command:
            return child
    return None


def call(
    base: str,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body=None,
    data: bytes | None = None,
    headers: dict | None = None,
):
    """(status, headers, body bytes) of one request; JSON bodies are encoded for you."""
    request_headers = dict(headers or {})
    if token:
        request_headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        request_headers["Content-Type"] = "application/json"
    request = urllib.request.Request(base + path, data=data, method=method, headers=request_headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def demo_factor_keys(demo_output: str) -> dict[str, bytes]:
    """The TOTP keys `classvault demo` prints for the roles that need a second factor."""
    keys = {}
    for line in demo_output.splitlines():
        match = re.match(
            r"\s+(\S+)\s+\S+\s+password: \S+\s+second factor \(TOTP key\): (\w+)", line
        )
        if match:
            secret = match.group(2)
            keys[match.group(1)] = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return keys


def demo_code(base: str, username: str) -> str | None:
    """A fresh authenticator code for a demo user of the server at ``base`` (None if they
    need none). A code is accepted once: when this step's code was handed out already, the
    next step's (the server accepts one step ahead), else wait for a new step."""
    key = FACTOR_KEYS.get(base, {}).get(username)
    if key is None:
        return None
    used = _USED_STEPS.setdefault((base, username), set())
    while True:
        now_step = int(time.time() // 30)
        for step in (now_step, now_step + 1):
            if step not in used and all(step > u for u in used):
                used.add(step)
                return f"{hotp(key, step):06d}"
        time.sleep(30 - time.time() % 30 + 0.1)


def token_for(base: str, username: str, password: str = DEMO_PASSWORD) -> str:
    body = {"username": username, "password": password}
    code = demo_code(base, username)
    if code is not None:
        body["otp"] = code
    status, _, body = call(base, "POST", "/api/v1/auth/token", body=body)
    assert status == 200, body
    return json.loads(body)["token"]


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]):
    """(body, content type) of a multipart/form-data request."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for name, (filename, content, content_type) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
