"""Background tasks: handlers load by id and call a service."""

from django_tasks import task

from classvault.core import clock

from .services import recording_process


@task()
def process_recording(recording_id: str) -> str:
    # The clock goes along too: the job renews its lease by it while the transcode runs.
    return recording_process(recording_id=recording_id, now=clock.now(), clock=clock.now)
