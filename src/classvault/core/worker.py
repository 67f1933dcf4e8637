"""The background worker's loop: django-tasks' database worker, kept alive and visible.

``classvault worker`` runs :class:`JobWorker`. It claims and runs one job at a time, like
``db_worker`` (whose job handling it reuses), and adds what that loop lacks:

- A locked database is a pause, not a crash. On SQLite a long write elsewhere makes the
  claim's ``BEGIN`` (or a job's final status write) fail with "database is locked";
  ``db_worker`` then died for good. Here the loop waits 1 s, 2 s, 4 s ... at most 60 s and
  tries again. So it does when PostgreSQL is busy (a deadlock) or its connection was lost
  (a restart, a failover: ``core.busy``); the next turn opens a new connection. Any other
  error still ends the process (``serve`` or systemd starts a new one).
- A heartbeat: :class:`Heartbeat` writes a :class:`WorkerHeartbeat` row every
  ``HEARTBEAT_EVERY`` seconds from a thread, for as long as the loop goes round or runs a
  job (a transcode may take many minutes), so the health check and the privacy officer see
  when no worker is alive.
"""

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import OperationalError, close_old_connections, connections
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from classvault.core import clock

from .busy import is_database_unavailable
from .models import WorkerHeartbeat

log = logging.getLogger("classvault.worker")

HEARTBEAT_EVERY = 30  # seconds
# A loop that has not gone round for this long (and runs no job) is stuck: stop beating.
STUCK_AFTER = 180  # seconds; more than the longest backoff plus a busy timeout
KEEP_HEARTBEATS = timedelta(days=1)


@dataclass
class Backoff:
    """Waits that double after each failure, from ``first`` to at most ``most`` seconds."""

    first: float = 1.0
    most: float = 60.0
    _next: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._next = self.first

    def next(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self.most)
        return delay

    def reset(self) -> None:
        self._next = self.first


def worker_id_for(pid: int) -> str:
    """The id a worker process started without ``--worker-id`` reports its heartbeat under."""
    return f"{socket.gethostname()[:80]}:{pid}"


def worker_id_default() -> str:
    return worker_id_for(os.getpid())


class JobWorker(Worker):
    """One job at a time from every queue; a locked database makes it wait, not die."""

    def __init__(
        self,
        *,
        interval: float = 1.0,
        worker_id: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            queue_names=["*"],
            interval=interval,
            batch=False,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id or worker_id_default(),
            excluded_queue_names=[],
        )
        self.backoff = Backoff()
        self.last_turn = time.monotonic()
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"<JobWorker {self.worker_id}>"

    def run(self) -> None:
        log.info("Worker %s started.", self.worker_id)
        while self.running:
            self.last_turn = time.monotonic()
            try:
                ran = self.turn()
            except OperationalError as exc:
                if not (is_locked_database_exception(exc) or is_database_unavailable(exc)):
                    raise
                delay = self.backoff.next()
                log.warning(
                    "The database is locked, busy or unreachable (%s); the worker tries again "
                    "in %.0f s.",
                    exc,
                    delay,
                )
                self._sleep(delay)
                continue
            self.backoff.reset()
            if not ran and self.running:
                self._sleep(self.interval)

    def turn(self) -> bool:
        """Claim the next ready job and run it; False when none is waiting."""
        close_old_connections()
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)
        if task_result is None:
            return False
        self.run_task(task_result)
        return True

    def is_going(self) -> bool:
        """Running a job, or the loop went round recently (a wait for the lock counts)."""
        return self.running_task or time.monotonic() - self.last_turn < STUCK_AFTER


def heartbeat_write(*, worker_id: str, now: datetime, started_at: datetime) -> None:
    """Record that this worker is alive at ``now``; forget workers silent for a day."""
    updated = WorkerHeartbeat.objects.filter(pk=worker_id).update(seen_at=now)
    if not updated:
        WorkerHeartbeat.objects.filter(seen_at__lt=now - KEEP_HEARTBEATS).delete()
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id,
            defaults={"seen_at": now},
            create_defaults={"seen_at": now, "started_at": started_at},
        )


def heartbeat_seen_at(*, worker_id: str) -> datetime | None:
    """When the worker ``worker_id`` last reported, or None if it never did.

    Read by ``serve``'s supervisor in its own thread: the connection is closed again, so a
    process gunicorn forks meanwhile never shares it.
    """
    try:
        return (
            WorkerHeartbeat.objects.filter(pk=worker_id).values_list("seen_at", flat=True).first()
        )
    finally:
        connections.close_all()


class Heartbeat(threading.Thread):
    """Beats for ``worker`` every ``every`` seconds while it is going (a daemon thread)."""

    def __init__(
        self,
        worker: JobWorker,
        *,
        every: float = HEARTBEAT_EVERY,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        super().__init__(name="classvault-heartbeat", daemon=True)
        self.worker = worker
        self.every = every
        self._now = now
        self._started_at = now()
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            if self.worker.is_going():
                try:
                    heartbeat_write(
                        worker_id=self.worker.worker_id,
                        now=self._now(),
                        started_at=self._started_at,
                    )
                except OperationalError as exc:
                    log.warning("Could not write the worker's heartbeat (%s); trying again.", exc)
                finally:
                    connections.close_all()  # this thread's own connections
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()


class Every(threading.Thread):
    """Calls ``action(now=...)`` every ``seconds`` beside the worker loop (a daemon thread).

    For small, idempotent housekeeping that must not wait for the retention slot, such as
    queueing transcodes a killed worker left behind. An error is logged and the next round
    tries again; the thread's connections are closed after each round.
    """

    def __init__(
        self,
        seconds: float,
        action: Callable[..., object],
        *,
        name: str,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.seconds = seconds
        self.action = action
        self._now = now
        self._halt = threading.Event()

    def __repr__(self) -> str:
        return f"<Every {self.seconds}s {self.name}>"

    def run(self) -> None:
        while not self._halt.wait(self.seconds):
            self.run_once()

    def run_once(self) -> None:
        try:
            self.action(now=self._now())
        except Exception:
            log.exception("%s failed; the next round tries again.", self.name)
        finally:
            connections.close_all()  # this thread's own connections

    def stop(self) -> None:
        self._halt.set()
