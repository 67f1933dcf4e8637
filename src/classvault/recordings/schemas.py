from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from classvault.core.validation import InputSchema


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


class ShareIn(InputSchema):
    username: str


class ScreeningIn(InputSchema):
    mode: str
    starts_at: datetime
    ends_at: datetime
    attendees: list[str]


class ScreeningCreated(Schema):
    id: str


class CommentIn(InputSchema):
    at_seconds: float = Field(ge=0, allow_inf_nan=False)
    text: str = Field(max_length=4000)


class CommentOut(Schema):
    id: str
    at_seconds: float
    text: str
    author: str
    created_at: datetime


class AssessmentIn(InputSchema):
    verdict: str
    notes: str = ""
    assessed_on: date


class AssessmentOut(Schema):
    id: str
    verdict: str
    notes: str
    assessed_on: date
    trainer: str
