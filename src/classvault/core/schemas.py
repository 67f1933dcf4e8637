"""API shapes of the platform itself: the health check's detail."""

from datetime import datetime

from ninja import Schema

from .health import Health


class HealthDetailOut(Schema):
    status: str  # "ok", or "degraded" when the database, storage, worker or queue is in trouble
    database: str  # "ok" | "unavailable"
    storage: str  # "ok" | "unavailable": a real request to the blob store (folder or bucket)
    worker_alive: bool
    worker_last_heartbeat: datetime | None
    queue_depth: int
    oldest_waiting_job_seconds: int | None
    # Transcodes neither running nor queued: a killed worker's (lease lapsed) or one waiting
    # to be tried again. A live worker queues them again within a minute.
    recordings_stalled: int
    oldest_stalled_seconds: int | None

    @classmethod
    def of(cls, health: Health) -> "HealthDetailOut":
        return cls(
            status="ok" if health.ok else "degraded",
            database="ok" if health.database_ok else "unavailable",
            storage="ok" if health.storage_ok else "unavailable",
            worker_alive=health.worker_alive,
            worker_last_heartbeat=health.worker_seen_at,
            queue_depth=health.queue_depth,
            oldest_waiting_job_seconds=health.oldest_waiting_seconds,
            recordings_stalled=health.stalled,
            oldest_stalled_seconds=health.oldest_stalled_seconds,
        )
