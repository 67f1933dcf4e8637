"""Background tasks of recordings: handlers load by id and call a service; queueing them."""

from datetime import datetime

from django.db.models import Q
from django_tasks import task

from classvault.core import clock

from .models import Recording, RecordingStatus
from .processing import recording_process


@task()
def process_recording(recording_id: str) -> str:
    # The clock goes along too: the job renews its lease by it while the transcode runs.
    return recording_process(recording_id=recording_id, now=clock.now(), clock=clock.now)


def processing_enqueue(recording_id: str) -> None:
    """Queue the transcoding of a recording (after the transaction that created it)."""
    process_recording.enqueue(recording_id)


def recordings_resume(*, now: datetime) -> list[str]:
    """Queue every recording still processing whose lease lapsed (a worker died)."""
    stalled = [
        str(pk) for pk in Recording.objects.filter(status=RecordingStatus.PROCESSING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .values_list("pk", flat=True)
    ]
    for pk in stalled:
        processing_enqueue(pk)
    return stalled
