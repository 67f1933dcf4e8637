from datetime import datetime

from ninja import Schema
from pydantic import Field

from classvault.core.validation import InputSchema


class MarkIn(InputSchema):
    at_seconds: float = Field(description="The moment the person is marked, in seconds.")
    box: list[float] = Field(description="[x, y, width, height] in the video's pixels.")


class RedactionIn(InputSchema):
    faces: str | None = Field(
        None,
        description='"all": blur every face; "none": only the marked person (the default '
        "when a track is given, else all).",
    )
    track: list[MarkIn] = Field(
        default_factory=list, description="Marks of the one person to follow and blur."
    )
    mute: list[list[float]] = Field(
        default_factory=list, description="[[start, end], ...] seconds to silence."
    )
    reason: str = Field("", max_length=300, description="Why (e.g. the request it serves).")
    pupils: list[str] = Field(
        default_factory=list,
        description="Privacy officer: the pupils this removes (after a withdrawal it may "
        "unblock the recording; see docs/redaction.md).",
    )


class ReviewIn(InputSchema):
    track: list[MarkIn] = Field(
        default_factory=list,
        description="Empty: confirm the computed track. Marks: correct it (followed again).",
    )


class JobAccepted(Schema):
    job: str


class TrackPoint(Schema):
    at_seconds: float
    box: list[float]


class JobOut(Schema):
    job: str
    recording: str
    status: str
    faces: str
    track: list[TrackPoint]
    mute: list[list[float]]
    pupils: list[str]
    ordered_by: str
    created_at: datetime
    finished_at: datetime | None = None
    progress: float = Field(description="0..1 of the whole job.")
    frames_per_second: float
    seconds_left: float | None = None
    failure_reason: str = ""
    computed_track: list[TrackPoint] | None = Field(
        None, description="One-person mode, once analysed: the followed boxes to review."
    )
