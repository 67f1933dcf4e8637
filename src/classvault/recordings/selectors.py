"""Reads about recordings for the API and the web views (visibility lives in sharing)."""

from typing import Any

from django.utils.translation import gettext as _

from classvault.core.exceptions import Invalid
from classvault.people.models import Role, User

from .models import Recording

PURPOSE_MAX = 64  # the audit event's purpose column


def recording_item(recording: Recording) -> dict[str, Any]:
    return {
        "id": str(recording.pk),
        "title": recording.title,
        "owner": recording.owner.username,
        "recorded_at": recording.recorded_at,
        "expires_at": recording.expires_at,
        "status": recording.status,
    }


# A list item's columns, read as plain values: a page of 100 recordings is 100 small
# dicts, not 200 model instances (the recording and its owner) with every column parsed.
RECORDING_ITEM_VALUES = ("pk", "title", "owner__username", "recorded_at", "expires_at", "status")


def recording_item_from_values(row: dict[str, Any]) -> dict[str, Any]:
    """:func:`recording_item` of a row of ``.values(*RECORDING_ITEM_VALUES)``."""
    return {
        "id": str(row["pk"]),
        "title": row["title"],
        "owner": row["owner__username"],
        "recorded_at": row["recorded_at"],
        "expires_at": row["expires_at"],
        "status": row["status"],
    }


def view_purpose(*, actor: User, recording: Recording, asked: str | None) -> str:
    """The purpose logged with a view (R4): stated, or implied by who is looking."""
    if asked and asked.strip():
        if len(asked.strip()) > PURPOSE_MAX:
            # Cut, the logged purpose would not be what was stated.
            raise Invalid(
                _("The purpose is longer than %(max)s characters; shorten it.")
                % {"max": PURPOSE_MAX}
            )
        return asked.strip()
    if actor.role == Role.PRIVACY_OFFICER:
        # The privacy officer sees recordings only for a request or a legal obligation (R4),
        # and says which every time.
        raise Invalid(
            _(
                "State the purpose of this view (e.g. the request or legal "
                "obligation it serves) in the purpose parameter."
            )
        )
    if actor.role == Role.TRAINER:
        return "assessment"
    if actor.role == Role.STUDENT_TEACHER and recording.owner_id != actor.pk:
        return "screening"
    return "coaching"
