from datetime import datetime

from ninja import Schema


class RecordingCreated(Schema):
    id: str
    status: str
    expires_at: datetime


class RecordingItem(Schema):
    id: str
    title: str
    owner: str
    recorded_at: datetime
    expires_at: datetime
    status: str


class RecordingDetail(RecordingItem):
    school: str
    shared_with: list[str]
    legal_hold: bool
    failure_reason: str | None = None
    duration_seconds: float | None = None
    pupils: list[str] | None = None
