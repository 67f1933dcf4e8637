"""Is the platform doing its background work, and can it reach its storage? Read by the health
check and the privacy officer.

The web app answers while the worker is dead; then nothing is transcoded and, worse, no
expired recording is deleted (R9). Three signs tell: the newest worker heartbeat (see
:mod:`classvault.core.worker`), how long the oldest waiting job has waited, and work that is
neither running nor queued any more: a transcode whose worker was killed (its lease lapsed)
or that waits to be tried again. Core knows no recordings; the apps that have such work
report it through the :data:`stalled_work` hook. Core knows no blob store either: the vault
answers the :data:`storage_problem` hook with a cheap real probe of it.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

from django.db import DatabaseError
from django.db.models import Count, Max, Min, Q
from django.db.models.functions import Greatest
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from .hooks import Hook
from .models import WorkerHeartbeat

# The worker beats every 30 s; a few minutes of silence means none is running.
WORKER_SILENT_AFTER = timedelta(minutes=5)
# One worker transcodes one lesson at a time; longer than this and the queue is stuck.
QUEUE_STUCK_AFTER = timedelta(minutes=30)
# Stalled work is queued again within a minute by a live worker; this long, and it is stuck.
STALLED_AFTER = timedelta(minutes=30)


class Stalled(NamedTuple):
    """How many items of background work are stalled, and since when the oldest is."""

    count: int
    since: datetime | None


class StalledWork(Protocol):
    def __call__(self, *, now: datetime) -> Stalled: ...


# Asked by health_detail; recordings registers its transcodes in its AppConfig.ready.
stalled_work: Hook[StalledWork] = Hook("core.stalled_work")


class StorageProblem(Protocol):
    def __call__(self) -> str | None: ...


# Asked by health_detail: why the blob store does not answer, or None (the vault registers it).
storage_problem: Hook[StorageProblem] = Hook("core.storage_problem")

log = logging.getLogger("classvault.health")


@dataclass(frozen=True)
class Health:
    now: datetime
    database_ok: bool
    storage_ok: bool = True
    worker_seen_at: datetime | None = None
    queue_depth: int = 0
    oldest_waiting_since: datetime | None = None
    stalled: int = 0
    oldest_stalled_since: datetime | None = None

    @property
    def worker_alive(self) -> bool:
        return self.worker_seen_at is not None and not self.worker_silent

    @property
    def worker_silent(self) -> bool:
        """No worker has reported for more than WORKER_SILENT_AFTER (or ever)."""
        return self.worker_seen_at is None or self.now - self.worker_seen_at > WORKER_SILENT_AFTER

    @property
    def oldest_waiting_seconds(self) -> int | None:
        if self.oldest_waiting_since is None:
            return None
        return max(0, int((self.now - self.oldest_waiting_since).total_seconds()))

    @property
    def queue_stuck(self) -> bool:
        return (
            self.oldest_waiting_since is not None
            and self.now - self.oldest_waiting_since > QUEUE_STUCK_AFTER
        )

    @property
    def oldest_stalled_seconds(self) -> int | None:
        if self.oldest_stalled_since is None:
            return None
        return max(0, int((self.now - self.oldest_stalled_since).total_seconds()))

    @property
    def stalled_stuck(self) -> bool:
        return (
            self.oldest_stalled_since is not None
            and self.now - self.oldest_stalled_since > STALLED_AFTER
        )

    @property
    def ok(self) -> bool:
        return (
            self.database_ok
            and self.storage_ok
            and not self.worker_silent
            and not self.queue_stuck
            and not self.stalled_stuck
        )


def health_detail(*, now: datetime) -> Health:
    """The database, the blob store, the newest worker heartbeat, and the queue of jobs ready
    to run."""
    problem = storage_problem.first()
    if problem:
        log.warning("The health check found the blob store unusable: %s", problem)
    storage_ok = not problem
    try:
        seen_at = WorkerHeartbeat.objects.aggregate(latest=Max("seen_at"))["latest"]
        queue = _waiting(now).aggregate(
            depth=Count("pk"),
            # A job waits from when it was queued, or from its run_after when that is later.
            since=Min(Greatest("enqueued_at", "run_after"), filter=~Q(run_after=get_date_max())),
            since_unscheduled=Min("enqueued_at", filter=Q(run_after=get_date_max())),
        )
        stalled = stalled_work.run(now=now)
    except DatabaseError:
        return Health(now=now, database_ok=False, storage_ok=storage_ok)
    oldest = [t for t in (queue["since"], queue["since_unscheduled"]) if t is not None]
    return Health(
        now=now,
        database_ok=True,
        storage_ok=storage_ok,
        worker_seen_at=seen_at,
        queue_depth=queue["depth"],
        oldest_waiting_since=min(oldest, default=None),
        stalled=sum(s.count for s in stalled),
        oldest_stalled_since=min((s.since for s in stalled if s.since), default=None),
    )


def _waiting(now: datetime):
    """Jobs ready to run at ``now`` that no worker has claimed (django-tasks' ready())."""
    return DBTaskResult.objects.filter(
        Q(run_after=get_date_max()) | Q(run_after__lte=now), status=TaskResultStatus.READY
    )
