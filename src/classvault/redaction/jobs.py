"""Background tasks of redaction: the handler loads by id and runs the job; resuming."""

from datetime import datetime

from django.db.models import Q
from django_tasks import task
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from classvault.core import clock
from classvault.core.health import Stalled

from .models import WORKABLE, RedactionJob
from .processing import redaction_run

# How often a worker looks for redactions a killed worker left (``classvault worker``).
RESUME_EVERY = 60  # seconds


@task()
def run_redaction(job_id: str) -> str:
    return redaction_run(job_id=job_id, now=clock.now(), clock=clock.now)


def redaction_enqueue(job_id: str) -> None:
    """Queue a redaction job (after the transaction that ordered or confirmed it)."""
    run_redaction.enqueue(str(job_id))


def _queued() -> set[str]:
    waiting = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=run_redaction.module_path
    )
    return {
        str(args[0])
        for args in (row.get("args") for row in waiting.values_list("args_kwargs", flat=True))
        if args
    }


def _unleased(now: datetime):
    return RedactionJob.objects.filter(status__in=WORKABLE).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    )


def redactions_resume(*, now: datetime) -> list[str]:
    """Queue every workable job no worker holds and no task waits for (a worker died, or a
    try failed); return all that no worker holds. The lease lets only one worker run it."""
    unleased = [str(pk) for pk in _unleased(now).values_list("pk", flat=True)]
    queued = _queued() if unleased else set()
    for pk in unleased:
        if pk not in queued:
            redaction_enqueue(pk)
    return unleased


def redactions_stalled(*, now: datetime) -> Stalled:
    """For the health check: redactions nobody works on or waits for (one query when none)."""
    unleased = list(_unleased(now).values_list("pk", "lease_until", "created_at"))
    queued = _queued() if unleased else set()
    rows = [(lease or created) for pk, lease, created in unleased if str(pk) not in queued]
    return Stalled(count=len(rows), since=min(rows, default=None))
