"""A real `classvault serve` on the embedded default, in its own data home, for tests that
check the product from outside (HTTP only), as a school's system or a browser would."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

DEMO_PASSWORD = "demo-wachtwoord-2026"
# The `classvault serve` process behind each running server's base URL.
SERVERS: dict[str, subprocess.Popen] = {}


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
    for step in (["init"], ["demo"]):
        subprocess.run(cli + step, env=env, check=True, capture_output=True, timeout=120)
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
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)


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


def token_for(base: str, username: str, password: str = DEMO_PASSWORD) -> str:
    status, _, body = call(
        base, "POST", "/api/v1/auth/token", body={"username": username, "password": password}
    )
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
