"""``classvault serve``: gunicorn for the web app, plus the task worker in the embedded default."""

import atexit
import errno
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from gunicorn.app.base import BaseApplication

from classvault.core import clock
from classvault.core.worker import Backoff, heartbeat_seen_at, worker_id_for

log = logging.getLogger("classvault.server")


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Imported here, in each web process gunicorn starts, not in the master: importing
        # the WSGI module sets Django up, and the master must stay free of that state.
        from classvault.wsgi import application

        return application


class WorkerSupervisor(threading.Thread):
    """Keeps one background worker process running beside the web server.

    The worker dies when something it cannot wait out happens (on SQLite a long write used
    to be enough); with it the transcoding and, worse, the retention sweep stopped while
    the web app looked healthy. This thread waits on the worker and starts a new one after
    ``1 s, 2 s, 4 s ...`` at most ``most`` seconds; a worker that ran ``stable_after``
    seconds starts the count again. Every death and restart is logged.

    It lives in the process that calls :func:`serve`, gunicorn's master: the web workers
    gunicorn forks inherit no threads, so no second supervisor exists, and :meth:`stop`
    does nothing in them (they inherit the ``atexit`` hook). The master also reaps any
    child it sees exit; when it wins that race the worker's exit status is unknown, the
    restart is the same.

    A worker can also hang without exiting (stopped with SIGSTOP, stuck in a call that
    never returns): then its heartbeat (``core/worker.py``, every 30 s while it goes round
    or runs a job) grows old. Every ``check_every`` seconds the supervisor reads it; once it
    is older than ``stale_after`` seconds (``CLASSVAULT_WORKER_STALE_SECONDS``, 5 minutes),
    or the worker never reported in that long since it started, the worker is killed
    (SIGKILL: a hung process heeds nothing else) and replaced like a dead one. Its job's
    lease lapses and the next worker takes it over. ``heartbeat`` (worker id -> last beat)
    and ``now`` are seams for tests.
    """

    def __init__(
        self,
        *,
        command: list[str] | None = None,
        first: float = 1.0,
        most: float = 60.0,
        stable_after: float = 300.0,
        stale_after: float | None = None,
        check_every: float = 30.0,
        heartbeat: Callable[[str], datetime | None] | None = None,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        super().__init__(name="classvault-worker-supervisor", daemon=True)
        self.command = command or [sys.executable, "-m", "classvault.cli", "worker"]
        self.backoff = Backoff(first=first, most=most)
        self.stable_after = stable_after
        self.stale_after = (
            settings.CLASSVAULT_WORKER_STALE_SECONDS if stale_after is None else stale_after
        )
        self.check_every = check_every
        self._heartbeat = heartbeat or (lambda worker_id: heartbeat_seen_at(worker_id=worker_id))
        self._now = now
        self.hung_kills = 0
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self._owner = os.getpid()
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                if self._stopping.is_set():
                    break
                proc = subprocess.Popen(self.command)
                # Its silence counts from here, before anyone can see the process: read
                # later, a slow thread would start the count after time had moved on.
                started_at = self._now()
                self.proc = proc
                self.starts += 1
            started = time.monotonic()
            log.info("Background worker started (pid %d).", proc.pid)
            code = self._watch(proc, started_at)
            if self._stopping.is_set():
                break
            ran_for = time.monotonic() - started
            if ran_for >= self.stable_after:
                self.backoff.reset()
            delay = self.backoff.next()
            log.error(
                "The background worker (pid %d) %s after %.0f s; starting a new one in %.0f s.",
                proc.pid,
                _exit_reason(code),
                ran_for,
                delay,
            )
            self._stopping.wait(delay)

    def _watch(self, proc: subprocess.Popen, started_at: datetime) -> int:
        """Wait for the worker to exit; kill it first if its heartbeat went stale."""
        while True:
            try:
                return proc.wait(timeout=self.check_every)
            except subprocess.TimeoutExpired:
                pass
            if self._stopping.is_set():
                return proc.wait()  # stop() ends it
            silent = self._silent_for(proc.pid, started_at)
            if silent is not None and silent > self.stale_after:
                log.error(
                    "The background worker (pid %d) has not reported for %.0f s: it "
                    "hangs. Killing it.",
                    proc.pid,
                    silent,
                )
                self.hung_kills += 1
                proc.kill()
                return proc.wait()

    def _silent_for(self, pid: int, started_at: datetime) -> float | None:
        """Seconds since the worker last reported (or started); None when unknown."""
        try:
            seen_at = self._heartbeat(worker_id_for(pid))
        except Exception as exc:  # noqa: BLE001 - a busy database must not end supervision
            log.warning("Could not read the background worker's heartbeat (%s).", exc)
            return None
        since = max(seen_at, started_at) if seen_at is not None else started_at
        return (self._now() - since).total_seconds()

    def stop(self, timeout: float = 30) -> None:
        """Stop restarting, and stop the worker (SIGTERM: it finishes its job first)."""
        if os.getpid() != self._owner:
            return
        self._stopping.set()
        with self._lock:
            proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("The background worker did not stop in %.0f s; killing it.", timeout)
            proc.kill()
            proc.wait()


def _exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


def address_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be served on, in one line; None when it can.

    Checked before anything starts, so a taken port is one clear line, not a traceback after
    an announcement. (Another process may still take the port in between; gunicorn then
    fails with its own message.)
    """
    where = f"{host}:{port}"
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError, OverflowError):
        return f"cannot serve on {where}: {host} is not a name or address of this machine."
    with socket.socket(family, kind, proto) as probe:
        # As gunicorn binds: a port left in TIME_WAIT by a stopped server counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"cannot serve on {where}: the port is already in use. Stop the other "
                    "server, or choose another port (--port, or make run PORT=...)."
                )
            if exc.errno == errno.EACCES:
                return f"cannot serve on {where}: not allowed (ports below 1024 need root)."
            return f"cannot serve on {where}: {exc.strerror or exc}."
    return None


def serve(*, host: str, port: int, workers: int, with_worker: bool) -> int:
    if with_worker:
        supervisor = WorkerSupervisor()
        supervisor.start()
        atexit.register(supervisor.stop)
    announcement = f"ClassVault serves on http://{host}:{port}" + (
        " with a background worker" if with_worker else ""
    )

    def when_ready(_server) -> None:
        # Only now is the port bound: a script may wait for this line and then connect.
        print(announcement, flush=True)

    _Gunicorn(
        {
            "when_ready": when_ready,
            "bind": f"{host}:{port}",
            "workers": max(1, workers),
            "worker_class": "gthread",
            "threads": int(os.environ.get("CLASSVAULT_WEB_THREADS", "8")),
            "timeout": 120,
            "graceful_timeout": 20,
            "accesslog": "-",
            # Query strings may carry ids; never tokens (they travel in headers).
            "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
            "forwarded_allow_ips": os.environ.get("CLASSVAULT_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        }
    ).run()
    return 0
