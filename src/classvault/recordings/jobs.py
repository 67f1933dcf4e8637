"""Background tasks of recordings: handlers load by id and call a service; queueing them."""

from datetime import datetime

from django.db.models import Q
from django_tasks import task
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from classvault.core import clock
from classvault.core.health import Stalled

from .models import Recording, RecordingStatus
from .processing import recording_process

# How often a worker looks for stalled transcodes (``classvault worker``). A job whose
# worker was killed resumes about LEASE + this long after its last lease renewal; one
# released after a failure or a busy database, within this long.
RESUME_EVERY = 60  # seconds


@task()
def process_recording(recording_id: str) -> str:
    # The clock goes along too: the job renews its lease by it while the transcode runs.
    return recording_process(recording_id=recording_id, now=clock.now(), clock=clock.now)


def processing_enqueue(recording_id: str) -> None:
    """Queue the transcoding of a recording (after the transaction that created it)."""
    process_recording.enqueue(recording_id)


def _queued() -> set[str]:
    """Recordings whose transcoding job waits in the queue (not claimed by a worker yet)."""
    waiting = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=process_recording.module_path
    )
    return {
        str(args[0])
        for args in (row.get("args") for row in waiting.values_list("args_kwargs", flat=True))
        if args
    }


def _unleased(now: datetime):
    """Processing, and no worker holds it: never taken, released, or its lease lapsed."""
    return Recording.objects.filter(status=RecordingStatus.PROCESSING).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    )


def recordings_resume(*, now: datetime) -> list[str]:
    """Queue every recording still processing that no worker holds and no job waits for
    (a worker died, or a try failed); return all that no worker holds.

    Run every RESUME_EVERY seconds by each worker, and by every retention run. A job that
    already waits in the queue is not queued twice; should two workers still queue one
    twice, the lease lets only one of them work on it.
    """
    unleased = [str(pk) for pk in _unleased(now).values_list("pk", flat=True)]
    queued = _queued() if unleased else set()
    for pk in unleased:
        if pk not in queued:
            processing_enqueue(pk)
    return unleased


def recordings_stalled(*, now: datetime) -> Stalled:
    """For the health check (core.health.stalled_work): transcodes nobody works on or waits
    for. Since: when the lease lapsed, or when the recording was made if none is held."""
    queued = _queued()
    rows = [
        (pk, lease_until, created_at)
        for pk, lease_until, created_at in _unleased(now).values_list(
            "pk", "lease_until", "created_at"
        )
        if str(pk) not in queued
    ]
    return Stalled(
        count=len(rows), since=min((lease or created for _pk, lease, created in rows), default=None)
    )
