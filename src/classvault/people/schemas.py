from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from classvault.core.validation import InputSchema


class TokenIn(InputSchema):
    username: str
    password: str
    otp: str | None = Field(
        default=None,
        max_length=64,
        description=(
            "The second factor: the 6-digit code of the authenticator app, or one recovery "
            "code. Required for privacy officers, institute admins and trainers, and for "
            "anyone who enrolled an authenticator; without it those get 401."
        ),
    )


class TokenOut(Schema):
    token: str
    expires_at: datetime


class SchoolIn(InputSchema):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)


class SchoolOut(Schema):
    code: str
    name: str


class UserIn(InputSchema):
    username: str = Field(min_length=1, max_length=150)
    password: str
    role: str
    full_name: str = Field(max_length=200)
    email: str | None = None
    school: str | None = None


class UserOut(Schema):
    username: str
    role: str


class MeOut(Schema):
    username: str
    role: str
    full_name: str
    school: str | None
    guidelines_accepted: bool


# A study end is a date of this era: year 1 expired every recording at once, year 9999
# overflowed the expiry arithmetic. A study end in the past is allowed (it expires the
# recordings at once, as intended when a student teacher has left).
STUDY_END_EARLIEST = date(2000, 1, 1)
STUDY_END_LATEST = date(2100, 12, 31)


class EnrolmentIn(InputSchema):
    school: str
    study_end: date = Field(ge=STUDY_END_EARLIEST, le=STUDY_END_LATEST)
    trainers: list[str] = []
    supervisors: list[str] = []


class EnrolmentOut(Schema):
    username: str
    school: str
    study_end: date
    trainers: list[str]
    supervisors: list[str]


class GuidelinesIn(InputSchema):
    version: str = Field(min_length=1, max_length=32)
    text: str = Field(min_length=1)


class GuidelinesOut(Schema):
    version: str
    text: str
    published_at: datetime


class AcknowledgementOut(Schema):
    version: str
    acknowledged_at: datetime


class PasswordChangeIn(InputSchema):
    current_password: str
    new_password: str = Field(min_length=1, max_length=200)


class TokenInForceOut(Schema):
    id: int
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime


class AccountOut(Schema):
    """A user's account as the institute admin sees it (no password, no token secrets)."""

    username: str
    role: str
    full_name: str
    school: str | None
    is_active: bool
    deactivated_at: datetime | None
    last_login: datetime | None
    second_factor: bool
    tokens: list[TokenInForceOut]
