"""The retention schedule: run the sweep and the reminders every interval, from the worker.

Time is cut into slots of ``every`` seconds. In each slot the first worker to insert the
slot's :class:`RetentionRun` row runs retention; every other worker skips that slot. A worker
that dies mid-run leaves a state the next slot's run finishes (the sweep is crash-safe).
"""

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, connections, transaction

from classvault.core import clock
from classvault.recordings.jobs import recordings_resume
from classvault.recordings.resumable import uploads_purge_stale
from classvault.recordings.services import recording_orphans_shred

from .hooks import schedule_ran
from .models import RetentionRun
from .services import retention_run

log = logging.getLogger(__name__)

DEFAULT_EVERY = 900  # seconds; the contract asks for at least hourly
KEEP_RUNS = timedelta(days=90)


def retention_slot(now: datetime, every: int) -> datetime:
    """The start of the slot ``now`` lies in (slots are aligned to the epoch, in UTC)."""
    start = int(now.timestamp()) // every * every
    return datetime.fromtimestamp(start, UTC)


def retention_tick(*, now: datetime, every: int = DEFAULT_EVERY) -> RetentionRun | None:
    """Run retention unless another worker already ran it in this slot; the run, or None."""
    slot = retention_slot(now, every)
    try:
        with transaction.atomic():
            run = RetentionRun.objects.create(slot=slot, started_at=now)
            # The schedule's own bookkeeping only: what retention did is in the audit log.
            RetentionRun.objects.filter(slot__lt=slot - KEEP_RUNS).delete()
    except IntegrityError:
        return None
    deleted, reminders = retention_run(now=now)
    # The same slot looks after work that was left behind: abandoned resumable uploads
    # (retention of their chunks) and recordings whose transcoding worker died.
    uploads_purge_stale(now=now)
    recording_orphans_shred(now=now)
    recordings_resume(now=now)
    run.deleted, run.reminders, run.finished_at = len(deleted), reminders, clock.now()
    RetentionRun.objects.filter(pk=slot).update(
        deleted=run.deleted, reminders=reminders, finished_at=run.finished_at
    )
    log.info(
        "Retention run %s: %d recordings deleted, %d reminders sent.",
        slot.isoformat(),
        run.deleted,
        reminders,
    )
    # Deadline work of the apps above (rights' request reminders), after the bookkeeping.
    schedule_ran.run(now=now)
    return run


class RetentionScheduler(threading.Thread):
    """Runs :func:`retention_tick` at the start of every slot, next to ``db_worker``.

    A daemon thread: it dies with the worker process (retention is crash-safe), and
    :meth:`stop` ends it between runs.
    """

    def __init__(
        self, *, every: int = DEFAULT_EVERY, now: Callable[[], datetime] = clock.now
    ) -> None:
        super().__init__(name="classvault-retention", daemon=True)
        if every < 1:
            raise ValueError("The retention interval is at least one second.")
        self.every = every
        self._now = now
        self._halt = threading.Event()

    def __repr__(self) -> str:
        return f"<RetentionScheduler every={self.every}s>"

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                retention_tick(now=self._now(), every=self.every)
            except Exception:
                log.exception("The retention run failed; the next slot tries again.")
            finally:
                connections.close_all()  # this thread's own connections
            self._halt.wait(self.seconds_to_next_slot())

    def seconds_to_next_slot(self) -> float:
        # One second into the next slot, so the clock has surely moved past its start.
        return self.every - self._now().timestamp() % self.every + 1

    def stop(self) -> None:
        self._halt.set()
