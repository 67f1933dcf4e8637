"""Abuse limits on logging in (django-axes): what is counted, audited, shown and lifted.

django-axes counts failed logins per account and per address (its AccessAttempt rows) and,
at CLASSVAULT_LOGIN_FAILURE_LIMIT, refuses both for CLASSVAULT_LOGIN_LOCKOUT_MINUTES, on the
web login and on POST /api/v1/auth/token alike. Failed attempts are not audited one by one
(anyone could fill the log with them): the audit log gets one ``auth.lockout`` event when a
lockout starts, with the count, and one ``auth.lockout_lift`` when an institute admin lifts
it. A username that names no account is never stored as typed: it is counted under a keyed
hash, so a password typed into the username field does not end up in a table.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record
from classvault.core import clock
from classvault.core.exceptions import Forbidden, NotVisible

from .models import Role, User

UNKNOWN_PREFIX = "?"


def attempt_username(request, credentials=None) -> str | None:
    """AXES_USERNAME_CALLABLE: the account's own username, or a keyed hash for no account."""
    typed = ""
    if credentials:
        typed = credentials.get("username") or ""
    elif request is not None and request.method == "POST":
        typed = request.POST.get("username", "")
    typed = str(typed).strip()[:150]
    if not typed:
        return None
    user = User.objects.filter(username__iexact=typed).only("username").first()
    if user is not None:
        return user.username
    digest = hmac.new(settings.SECRET_KEY.encode(), typed.lower().encode(), hashlib.sha256)
    return UNKNOWN_PREFIX + digest.hexdigest()[:16]


def is_unknown(username: str | None) -> bool:
    return bool(username) and username.startswith(UNKNOWN_PREFIX)


@dataclass(frozen=True)
class Lockout:
    id: int
    username: str | None  # None: a username no account has (kept only as a hash)
    ip_address: str | None
    failures: int
    last_attempt: datetime
    lifts_at: datetime
    locked: bool


def lockouts_list(*, now: datetime) -> list[Lockout]:
    """Every address and account with failed logins still counted, locked ones first."""
    cooloff = settings.AXES_COOLOFF_TIME
    rows = []
    for attempt in AccessAttempt.objects.filter(attempt_time__gt=now - cooloff).order_by(
        "-attempt_time"
    ):
        rows.append(
            Lockout(
                id=attempt.pk,
                username=None if is_unknown(attempt.username) else attempt.username,
                ip_address=attempt.ip_address,
                failures=attempt.failures_since_start,
                last_attempt=attempt.attempt_time,
                lifts_at=attempt.attempt_time + cooloff,
                locked=attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT,
            )
        )
    return sorted(rows, key=lambda r: not r.locked)


@transaction.atomic
def lockout_lift(*, actor: User, attempt_id: int, now: datetime) -> None:
    """Forget the failed logins of one account-and-address (an institute admin's call)."""
    if actor.role != Role.INSTITUTE_ADMIN:
        raise Forbidden()
    attempt = AccessAttempt.objects.select_for_update().filter(pk=attempt_id).first()
    if attempt is None:
        raise NotVisible()
    failures = attempt.failures_since_start
    username = None if is_unknown(attempt.username) else attempt.username
    # The lockout holds for the account OR the address: lift both.
    AccessAttempt.objects.filter(username=attempt.username).delete()
    AccessAttempt.objects.filter(ip_address=attempt.ip_address).delete()
    audit_record(
        actor=actor,
        action=AuditAction.AUTH_LOCKOUT_LIFT,
        object_type="user" if username else "address",
        object_id=username or (attempt.ip_address or ""),
        now=now,
        data={"failures": failures},
    )


def first_failure_of(typed: str) -> str | None:
    """The account a failed login named, when this was its first counted failure (the one
    failure of a counting window that is audited by itself); else None (no such account, or
    already audited: the lockout event carries the count)."""
    user = User.objects.filter(username__iexact=typed.strip()[:150]).only("username").first()
    if user is None:
        return None
    counted = AccessAttempt.objects.filter(username=user.username).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return user.username if counted == 1 else None


@transaction.atomic
def on_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    """axes' user_locked_out: audit once, when the count reaches the limit (it also fires for
    every attempt refused during the lockout, which are not audited)."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures != settings.AXES_FAILURE_LIMIT:
        return
    known = username if username and not is_unknown(username) else None
    channel = "api" if request.path.startswith("/api/") else "web"
    audit_record(
        actor=known or "anonymous",
        action=AuditAction.AUTH_LOCKOUT,
        object_type="user" if known else "address",
        object_id=known or (ip_address or ""),
        now=clock.now(),
        data={"failures": failures, "channel": channel, "ip_address": ip_address},
    )
