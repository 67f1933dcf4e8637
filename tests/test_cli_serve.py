"""`classvault serve` and `classvault demo` tell the truth about the address they serve on."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from support.liveserver import _free_port, clean_env

pytestmark = pytest.mark.cli

CLI = [sys.executable, "-m", "classvault.cli"]


def run(home: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        CLI + list(args),
        env=clean_env(home, **(env or {})),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("serve") / "data"
    assert run(home, "init").returncode == 0
    return home


def test_serve_on_a_taken_port_says_so_in_one_line_and_exits_1(home):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(home, "serve", "--port", str(port), "--no-worker")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"classvault: cannot serve on 127.0.0.1:{port}: the port is already in use. Stop the "
        "other server, or choose another port (--port, or make run PORT=...)."
    ]
    assert "serves on" not in result.stdout and "Traceback" not in result.stderr


def test_serve_announces_the_address_only_once_it_is_bound(home):
    port = _free_port()
    proc = subprocess.Popen(
        CLI + ["serve", "--port", str(port), "--workers", "1", "--no-worker"],
        env=clean_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == f"ClassVault serves on http://127.0.0.1:{port}"
        # The moment the line is out, the port answers.
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_takes_its_port_from_classvault_port(home):
    port = _free_port()
    proc = subprocess.Popen(
        CLI + ["serve", "--workers", "1", "--no-worker"],
        env=clean_env(home, CLASSVAULT_PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout.readline().strip().endswith(f":{port}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_demo_prints_the_address_it_is_given(home):
    assert "http://127.0.0.1:8000 " in run(home, "demo").stdout
    assert "http://127.0.0.1:8123 " in run(home, "demo", "--port", "8123").stdout
    assert "http://127.0.0.1:8124 " in run(home, "demo", env={"CLASSVAULT_PORT": "8124"}).stdout


def test_make_run_passes_port_to_demo_and_serve():
    makefile = Path(__file__).parents[1] / "Makefile"
    dry = subprocess.run(
        ["make", "-n", "-f", str(makefile), "run", "PORT=8123"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=makefile.parent,
    ).stdout
    assert "classvault demo --host 127.0.0.1 --port 8123" in dry
    assert "classvault serve --host 127.0.0.1 --port 8123" in dry
