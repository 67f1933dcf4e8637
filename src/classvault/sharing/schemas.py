"""API in and out for shares, screenings and feedback."""

from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from classvault.core.validation import InputSchema


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


class CommentPatch(InputSchema):
    """What the author changes: the text, the time code, or both."""

    at_seconds: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    text: str | None = Field(default=None, max_length=4000)


class CommentOut(Schema):
    id: str
    at_seconds: float
    text: str
    author: str
    created_at: datetime
    is_reflection: bool


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
