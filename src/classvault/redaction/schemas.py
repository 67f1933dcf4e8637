from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from classvault.core.validation import InputSchema


class _Exact(InputSchema):
    """A body with only the fields it names: a misspelt field is refused (422), never
    ignored (a review with ``{"trak": [...]}`` would otherwise confirm the track)."""

    @model_validator(mode="before")
    @classmethod
    def _only_known_fields(cls, data: Any) -> Any:
        # Ninja hands the body over wrapped in its DjangoGetter: the keys are those of _obj.
        body = getattr(data, "_obj", data)
        if isinstance(body, dict):
            unknown = sorted(str(k) for k in body if k not in cls.model_fields)
            if unknown:
                raise PydanticCustomError(
                    "unknown_field",
                    _("Unknown field(s): %(unknown)s. Allowed: %(allowed)s.")
                    % {"unknown": ", ".join(unknown), "allowed": ", ".join(cls.model_fields)},
                )
        return data


class MarkIn(_Exact):
    at_seconds: float = Field(description="The moment the person is marked, in seconds.")
    box: list[float] = Field(description="[x, y, width, height] in the video's pixels.")


class RedactionIn(_Exact):
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


class ReviewIn(_Exact):
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
