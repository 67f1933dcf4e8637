from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field, StrictBool

from classvault.core.validation import InputSchema

# Consent flags are strict: "no" or 0 must never be read as a decision.


class PupilIn(InputSchema):
    school: str = Field(min_length=1, max_length=32)
    external_id: str = Field(min_length=1, max_length=64)
    full_name: str = Field(min_length=1, max_length=200)
    date_of_birth: date
    group: str = Field(min_length=1, max_length=32)


class PupilOut(Schema):
    id: UUID
    school: str
    external_id: str
    full_name: str
    date_of_birth: date
    group: str
    recording_consent: bool
    peer_viewing_consent: bool

    @staticmethod
    def resolve_school(obj) -> str:
        return obj.school.code


class PupilListItem(Schema):
    id: UUID
    full_name: str
    group: str
    recording_consent: bool
    peer_viewing_consent: bool


class PupilFilter(InputSchema):
    school: str | None = None
    group: str | None = None


class ConsentIn(InputSchema):
    recording: StrictBool
    peer_viewing: StrictBool
    given_by: Literal["pupil", "guardian"]
    signer_name: str = Field(min_length=1, max_length=200)
    signed_on: date
    received_how: Literal["paper_form", "digital_form", "in_person"] = "paper_form"


class WithdrawalIn(InputSchema):
    scope: Literal["all", "peer_viewing"]
    by: Literal["pupil", "guardian"]
    signer_name: str = Field(min_length=1, max_length=200)
    verified_in_person: StrictBool = False
    on: date


class ConsentStateOut(Schema):
    recording: bool
    peer_viewing: bool
    statement_version: str


class ConsentRecordOut(Schema):
    id: UUID
    kind: str
    scope: str
    recording: bool
    peer_viewing: bool
    given_by: str
    signer_name: str
    signed_on: date
    received_how: str
    verified_in_person: bool
    statement_version: str
    registered_by: str
    registered_at: datetime

    @staticmethod
    def resolve_statement_version(obj) -> str:
        return obj.statement_version.version

    @staticmethod
    def resolve_registered_by(obj) -> str:
        return obj.registered_by.username


class ConsentOut(Schema):
    pupil: UUID
    recording: bool
    peer_viewing: bool
    history: list[ConsentRecordOut]


class ContactSchema(InputSchema):
    kind: Literal["privacy_officer", "data_protection_officer", "supervisory_authority"]
    name: str = Field(min_length=1, max_length=200)
    email: str = ""
    website: str = ""
    phone: str = ""


class StatementIn(InputSchema):
    version: str = Field(min_length=1, max_length=32)
    text: str = Field(min_length=1)
    contacts: list[ContactSchema] | None = None


class StatementSummary(Schema):
    version: str
    published_on: date


class StatementOut(Schema):
    version: str
    published_on: date
    text: str
    contacts: list[ContactSchema]


class PrivacyOut(StatementOut):
    earlier_versions: list[StatementSummary]


class ImportRowOut(Schema):
    line: int
    external_id: str
    full_name: str
    date_of_birth: date
    group: str
    action: Literal["create", "update", "unchanged"]
    id: UUID | None
    changes: dict[str, dict[str, str]]


class ImportErrorOut(Schema):
    line: int
    detail: str


class ImportSummary(Schema):
    create: int
    update: int
    unchanged: int
    errors: int


class NotInFileOut(Schema):
    id: UUID
    external_id: str
    full_name: str
    group: str


class ImportOut(Schema):
    school: str
    applied: bool
    encoding: str
    delimiter: str
    summary: ImportSummary
    rows: list[ImportRowOut]
    errors: list[ImportErrorOut]
    not_in_file: list[NotInFileOut]
