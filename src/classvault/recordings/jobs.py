"""Background tasks: handlers load by id and call a service."""

from django_tasks import task

from classvault.core import clock

from .services import recording_process


@task()
def process_recording(recording_id: str) -> str:
    return recording_process(recording_id=recording_id, now=clock.now())
