"""In-app notifications, and an e-mail where mail is configured: a recording shared with
you, new feedback, a screening invitation, a recording about to expire unassessed.

The apps above (sharing, retention) call :func:`notification_send` from their services,
inside their own transaction: a change that rolls back leaves no notification. Nothing of a
recording's content is stored or mailed: the page looks the recording up through the
visibility rule when it is shown, and the e-mail only says that there is something to see.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Notification, NotificationKind, User

PAGE_SIZE = 20

# Backends that deliver nothing to anybody: with one of these, mail is not configured.
_NO_MAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


def _mail_configured() -> bool:
    return settings.EMAIL_BACKEND not in _NO_MAIL_BACKENDS


def _mail(address: str, kind: str) -> None:
    # In the site's language: who reads it is not known when it is sent.
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("ClassVault: there is something for you")
        body = _(
            "There is something new for you in ClassVault: %(kind)s.\n\nLog in to "
            "ClassVault to see it."
        ) % {"kind": NotificationKind(kind).label}
    send_mail(subject, body, None, [address], fail_silently=True)


def notification_send(
    *,
    recipient: User,
    kind: str,
    recording_id: Any,
    actor: User | None,
    now: datetime,
    data: dict[str, Any] | None = None,
    email: bool = True,
) -> Notification | None:
    """Tell ``recipient`` about ``kind`` for a recording; nothing for the actor herself.

    Runs in the caller's transaction; the e-mail (the kind only, never a pupil or the
    recording's content) goes out after the commit, when the recipient has an address and
    mail is configured. ``email=False`` for a caller that mails herself (the reminders).
    """
    if actor is not None and actor.pk == recipient.pk:
        return None
    if not recipient.is_active:
        return None
    payload = dict(data or {})
    if actor is not None:
        payload["actor"] = actor.display_name
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, recording_id=str(recording_id), data=payload, created_at=now
    )
    if email and recipient.email and _mail_configured():
        address = recipient.email
        transaction.on_commit(lambda: _mail(address, kind))
    return notification


def notifications_send(
    *,
    recipients: Iterable[User],
    kind: str,
    recording_id: Any,
    actor: User | None,
    now: datetime,
    data: dict[str, Any] | None = None,
    email: bool = True,
) -> int:
    """:func:`notification_send` to each of ``recipients`` once; return how many were sent."""
    sent, seen = 0, set()
    for recipient in recipients:
        if recipient.pk in seen:
            continue
        seen.add(recipient.pk)
        if notification_send(
            recipient=recipient,
            kind=kind,
            recording_id=recording_id,
            actor=actor,
            now=now,
            data=data,
            email=email,
        ):
            sent += 1
    return sent


@transaction.atomic
def notifications_mark_read(*, actor: User, ids: Iterable[int] | None = None, now: datetime) -> int:
    """Mark the actor's own unread notifications read: those in ``ids``, or all of them."""
    unread = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=now)


def notifications_unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_for(user: User, now: datetime, page: int | str | None = 1) -> Page:
    """The user's own notifications, newest first, 20 a page."""
    rows = Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")
    return Paginator(rows, PAGE_SIZE).get_page(page)
