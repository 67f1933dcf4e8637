from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema

from classvault.consent.schemas import ConsentRecordOut
from classvault.core.validation import InputSchema


class RequestIn(InputSchema):
    pupil: str
    kind: Literal["access", "rectification", "erasure", "withdrawal", "complaint"]
    requested_by: Literal["pupil", "guardian"]
    received_on: date
    details: str = Field("", max_length=4000)


class RequestCreatedOut(Schema):
    id: UUID
    due_on: date
    status: str


class RequestOut(Schema):
    id: UUID
    pupil: UUID
    kind: str
    requested_by: str
    received_on: date
    details: str
    status: str
    due_on: date
    overdue: bool
    extension_months: int
    extension_reason: str
    outcome: str
    registered_at: datetime
    closed_at: datetime | None


class OutcomeIn(InputSchema):
    outcome: str = Field(max_length=4000)


class ExtendIn(InputSchema):
    months: int = Field(ge=1, le=2)
    reason: str = Field(max_length=4000)


class RecordingRefIn(InputSchema):
    recording: str


class WithdrawalIn(InputSchema):
    scope: Literal["all", "peer_viewing"]
    signer_name: str = Field(max_length=200)
    verified_in_person: bool
    on: date


class ReportPupilOut(Schema):
    id: UUID
    full_name: str
    school: str
    group: str
    date_of_birth: date

    @staticmethod
    def resolve_school(obj) -> str:
        return obj.school.code


class ReportConsentOut(Schema):
    recording: bool
    peer_viewing: bool
    history: list[ConsentRecordOut]


class ShareOut(Schema):
    username: str
    name: str
    since: datetime
    until: datetime | None


class ScreeningOut(Schema):
    id: str
    mode: str
    starts_at: datetime | None
    ends_at: datetime | None
    attendees: list[str]
    scheduled_by: str
    cancelled_at: datetime | None


class ViewerOut(Schema):
    actor: str
    name: str
    at: datetime
    action: str
    purpose: str


class AccessNowOut(Schema):
    username: str
    name: str
    reason: str


class ReportRecordingOut(Schema):
    id: str
    recorded_at: datetime | None
    student_teacher: str
    school: str
    expires_at: datetime
    shared_with: list[str]
    screenings: list[ScreeningOut]
    title: str
    status: str
    deleted: bool
    deleted_at: datetime | None
    deleted_reason: str
    legal_hold: bool
    purpose: str
    legal_basis: list[str]
    shares: list[ShareOut]
    has_access_now: list[AccessNowOut]
    viewers: list[ViewerOut]


class OutOfViewOut(Schema):
    recording: str
    at: datetime
    by: str


class ReportOut(Schema):
    pupil: ReportPupilOut
    consent: ReportConsentOut
    recordings: list[ReportRecordingOut]
    out_of_view: list[OutOfViewOut]
    generated_at: datetime


class ActivityOut(Schema):
    name: str
    purposes: list[str]
    legal_bases: list[str]
    data: list[str]
    people: list[str]
    recipients: list[str]
    retention: str


class RecipientOut(Schema):
    role: str
    label: str
    duties: str
    accounts: int


class RegisterOut(Schema):
    generated_at: datetime
    controller: list[dict]
    statement_version: str
    activities: list[ActivityOut]
    recipients: list[RecipientOut]
    retention_months: int
    storage: str
    database: str
    security: list[str]
