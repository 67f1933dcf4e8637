"""The one row of the platform itself: which background workers are alive."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """A background worker process says it is alive: ``seen_at`` moves every half minute.

    One row per worker process (``host:pid``), in the database so that workers on other
    machines count too. The health check and the privacy officer's page read it; a worker
    that died leaves its row behind, which then grows old.
    """

    worker_id = models.CharField(max_length=100, primary_key=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id}"
