"""The notifications page: the user's own notifications, each recording looked up through
the visibility rule (a title is never stored with a notification; one no longer visible
shows no title and no link)."""

import uuid
from datetime import date, datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from classvault.core.display import date_text, datetime_text
from classvault.people.models import NotificationKind, User
from classvault.people.notifications import notifications_for
from classvault.sharing.selectors import recordings_visible


def _ids(values: list[str]) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    return ids


def _text(kind: str, data: dict[str, Any], title: str | None) -> str:
    facts = {"actor": data.get("actor") or _("Someone"), "title": title}
    if kind == NotificationKind.SHARED:
        if title is None:
            return _("%(actor)s shared a recording with you; it is no longer available.") % facts
        return _("%(actor)s shared a recording with you: %(title)s") % facts
    if kind == NotificationKind.FEEDBACK:
        if title is None:
            return (
                _("New feedback from %(actor)s on a recording that is no longer available.") % facts
            )
        return _("New feedback from %(actor)s on %(title)s") % facts
    if kind == NotificationKind.SCREENING:
        starts = parse_datetime(data.get("starts_at") or "")
        facts["when"] = datetime_text(starts) if starts else "—"
        if title is None:
            return _("You are invited to a screening of a recording on %(when)s.") % facts
        return _("You are invited to a screening of %(title)s on %(when)s") % facts
    if kind == NotificationKind.REQUEST_DUE:
        try:
            due = date_text(date.fromisoformat(data.get("due_on") or ""))
        except ValueError:
            due = "—"
        if data.get("stage") == 0:
            return _("A data-subject request passed its deadline (%(due)s) unanswered.") % {
                "due": due
            }
        return _("A data-subject request is due on %(due)s.") % {"due": due}
    days = int(data.get("days") or 0)
    facts["days"] = days
    if title is None:
        return (
            ngettext(
                "A recording is deleted in %(days)s day, not assessed yet; it is no "
                "longer available to you.",
                "A recording is deleted in %(days)s days, not assessed yet; it is no "
                "longer available to you.",
                days,
            )
            % facts
        )
    return (
        ngettext(
            "%(title)s expires in %(days)s day and has not been assessed yet",
            "%(title)s expires in %(days)s days and has not been assessed yet",
            days,
        )
        % facts
    )


def notifications_page(*, actor: User, now: datetime, page: Any) -> dict[str, Any]:
    """One page of the actor's notifications, newest first, with their text and link."""
    notifications = notifications_for(actor, now, page)
    wanted = _ids([n.recording_id for n in notifications])
    titles = {
        str(pk): title
        for pk, title in recordings_visible(actor=actor, now=now)
        .filter(pk__in=wanted)
        .values_list("pk", "title")
    }
    items = []
    for notification in notifications:
        title = titles.get(notification.recording_id)
        items.append(
            {
                "id": notification.pk,
                "text": _text(notification.kind, notification.data, title),
                "recording_id": notification.recording_id if title is not None else None,
                "created_at": notification.created_at,
                "unread": notification.read_at is None,
            }
        )
    return {"page": notifications, "items": items, "unread": any(item["unread"] for item in items)}
