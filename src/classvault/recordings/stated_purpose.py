"""The privacy officer's stated purpose, kept server-side for one recording and one session.

She states why she looks (R4) in a form that is POSTed, never in a URL: a purpose in a query
string ends up in the browser's history and in every access log on the way. The player page
and the requests it makes (stream, poster) find it here instead, for a short while; after
that she states it again. Systems calling the API with a bearer token keep passing
``?purpose=`` (the contract).
"""

from datetime import datetime, timedelta
from typing import Any

SESSION_KEY = "classvault.stated_purposes"
LIFETIME = timedelta(hours=1)


def purpose_remember(*, session: Any, recording_id: str, purpose: str, now: datetime) -> None:
    """Keep ``purpose`` for this recording in this session until ``now`` + LIFETIME."""
    kept = {
        rid: entry
        for rid, entry in session.get(SESSION_KEY, {}).items()
        if datetime.fromisoformat(entry["until"]) > now
    }  # drop what has lapsed
    kept[str(recording_id)] = {"purpose": purpose, "until": (now + LIFETIME).isoformat()}
    session[SESSION_KEY] = kept


def purpose_remembered(*, session: Any, recording_id: str, now: datetime) -> str | None:
    """The purpose stated for this recording in this session, while it has not lapsed."""
    entry = session.get(SESSION_KEY, {}).get(str(recording_id))
    if entry is None or datetime.fromisoformat(entry["until"]) <= now:
        return None
    return entry["purpose"]
