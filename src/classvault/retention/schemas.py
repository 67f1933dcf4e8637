from datetime import datetime

from ninja import Schema
from pydantic import Field

from classvault.core.validation import InputSchema


class LegalHoldIn(InputSchema):
    reason: str = Field(description="The legal obligation the hold serves (required).")
    reference: str = Field(
        "", max_length=200, description="The case or demand it rests on, e.g. a case number."
    )


class LegalHoldOut(Schema):
    id: str
    recording: str
    reason: str
    reference: str
    placed_by: str
    placed_at: datetime
    released_by: str | None = None
    released_at: datetime | None = None


class ExpiryStudentOut(Schema):
    username: str
    full_name: str
    recordings: int
    earliest_expires_at: datetime
    days_left: int


class ExpiryTrainerOut(Schema):
    trainer: str | None
    full_name: str | None
    student_teachers: list[ExpiryStudentOut]
