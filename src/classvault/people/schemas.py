from datetime import date, datetime

from ninja import Schema
from pydantic import Field


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    expires_at: datetime


class SchoolIn(Schema):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)


class SchoolOut(Schema):
    code: str
    name: str


class UserIn(Schema):
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


class EnrolmentIn(Schema):
    school: str
    study_end: date
    trainers: list[str] = []
    supervisors: list[str] = []


class EnrolmentOut(Schema):
    username: str
    school: str
    study_end: date
    trainers: list[str]
    supervisors: list[str]


class GuidelinesIn(Schema):
    version: str = Field(min_length=1, max_length=32)
    text: str = Field(min_length=1)


class GuidelinesOut(Schema):
    version: str
    text: str
    published_at: datetime


class AcknowledgementOut(Schema):
    version: str
    acknowledged_at: datetime
