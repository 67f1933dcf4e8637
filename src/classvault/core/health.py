"""Is the platform doing its background work? Read by the health check and the privacy officer.

The web app answers while the worker is dead; then nothing is transcoded and, worse, no
expired recording is deleted (R9). Two signs tell: the newest worker heartbeat (see
:mod:`classvault.core.worker`) and how long the oldest waiting job has waited.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DatabaseError
from django.db.models import Count, Max, Min, Q
from django.db.models.functions import Greatest
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from .models import WorkerHeartbeat

# The worker beats every 30 s; a few minutes of silence means none is running.
WORKER_SILENT_AFTER = timedelta(minutes=5)
# One worker transcodes one lesson at a time; longer than this and the queue is stuck.
QUEUE_STUCK_AFTER = timedelta(minutes=30)


@dataclass(frozen=True)
class Health:
    now: datetime
    database_ok: bool
    worker_seen_at: datetime | None = None
    queue_depth: int = 0
    oldest_waiting_since: datetime | None = None

    @property
    def worker_alive(self) -> bool:
        return self.worker_seen_at is not None and not self.worker_silent

    @property
    def worker_silent(self) -> bool:
        """No worker has reported for more than WORKER_SILENT_AFTER (or ever)."""
        return (self.worker_seen_at is None
                or self.now - self.worker_seen_at > WORKER_SILENT_AFTER)

    @property
    def oldest_waiting_seconds(self) -> int | None:
        if self.oldest_waiting_since is None:
            return None
        return max(0, int((self.now - self.oldest_waiting_since).total_seconds()))

    @property
    def queue_stuck(self) -> bool:
        return (self.oldest_waiting_since is not None
                and self.now - self.oldest_waiting_since > QUEUE_STUCK_AFTER)

    @property
    def ok(self) -> bool:
        return self.database_ok and not self.worker_silent and not self.queue_stuck


def health_detail(*, now: datetime) -> Health:
    """The database, the newest worker heartbeat, and the queue of jobs ready to run."""
    try:
        seen_at = WorkerHeartbeat.objects.aggregate(latest=Max("seen_at"))["latest"]
        queue = _waiting(now).aggregate(
            depth=Count("pk"),
            # A job waits from when it was queued, or from its run_after when that is later.
            since=Min(Greatest("enqueued_at", "run_after"),
                      filter=~Q(run_after=get_date_max())),
            since_unscheduled=Min("enqueued_at", filter=Q(run_after=get_date_max())),
        )
    except DatabaseError:
        return Health(now=now, database_ok=False)
    oldest = [t for t in (queue["since"], queue["since_unscheduled"]) if t is not None]
    return Health(now=now, database_ok=True, worker_seen_at=seen_at,
                  queue_depth=queue["depth"], oldest_waiting_since=min(oldest, default=None))


def _waiting(now: datetime):
    """Jobs ready to run at ``now`` that no worker has claimed (django-tasks' ready())."""
    return DBTaskResult.objects.filter(
        Q(run_after=get_date_max()) | Q(run_after__lte=now), status=TaskResultStatus.READY)
