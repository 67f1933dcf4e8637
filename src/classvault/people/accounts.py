"""Writes about an account's life: deactivation, reactivation, password changes, tokens.

What ends when:

- Deactivation ends every browser session (the session generation rises, so each older
  session fails Django's session-hash check on its next request) and revokes every token of
  the user at once. Reactivation brings neither back: the person signs in again.
- Resetting someone's second factor (a lost authenticator) removes their authenticator and
  recovery codes and ends every session and token, like deactivation: whoever held the phone
  gets no further. A role that needs a factor enrols again at the next login.
- A password change ends every session (the password hash is part of each session's hash)
  and every token except the one the change was made with; the web view keeps its own
  session with ``update_session_auth_hash``.

The account's recordings are not touched: they follow the retention rules (R9), not the
account. Nothing here deletes anything.
"""

from datetime import datetime

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record
from classvault.core.exceptions import Conflict, Invalid, NotVisible

from .models import ApiToken, Role, User
from .services import require_role


def _account_for_update(username: str) -> User:
    user = User.objects.select_for_update().filter(username=username).first()
    if user is None:
        raise NotVisible(_("No such user."))
    return user


def _tokens_revoke(*, user: User, now: datetime, keep: ApiToken | None = None) -> list[int]:
    """Revoke every token of the user still in force (but ``keep``); their ids, sorted."""
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now)
    if keep is not None:
        tokens = tokens.exclude(pk=keep.pk)
    ids = sorted(tokens.values_list("pk", flat=True))
    ApiToken.objects.filter(pk__in=ids).update(revoked_at=now)
    return ids


@transaction.atomic
def user_deactivate(*, actor: User, username: str, now: datetime) -> User:
    """End the account: no sign-in, every session and token ends at once.

    The institute admin cannot deactivate themselves (someone must be left to undo it).
    """
    require_role(actor, Role.INSTITUTE_ADMIN)
    user = _account_for_update(username)
    if user.pk == actor.pk:
        raise Conflict(_("You cannot deactivate your own account. Ask another administrator."))
    if not user.is_active:
        raise Conflict(_("%(username)s is already deactivated.") % {"username": username})
    User.objects.filter(pk=user.pk).update(
        is_active=False, deactivated_at=now, session_generation=F("session_generation") + 1
    )
    revoked = _tokens_revoke(user=user, now=now)
    user.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditAction.USER_DEACTIVATE,
        obj=user,
        object_id=username,
        now=now,
        data={"tokens_revoked": revoked},
    )
    return user


@transaction.atomic
def user_factor_reset(*, actor: User, username: str, now: datetime) -> User:
    """Remove a person's second factor (their authenticator is lost): their authenticator
    app and recovery codes go, every session and token ends. A role that needs a factor
    (CLASSVAULT_SECOND_FACTOR_ROLES) must enrol again at the next login.

    The institute admin cannot reset their own (an admin with a stolen password must not
    strip the factor that stops the thief; ask another administrator). 409 for a person
    with no second factor.
    """
    require_role(actor, Role.INSTITUTE_ADMIN)
    user = _account_for_update(username)
    if user.pk == actor.pk:
        raise Conflict(_("You cannot reset your own second factor. Ask another administrator."))
    totp = TOTPDevice.objects.filter(user=user)
    static = StaticDevice.objects.filter(user=user)
    if not totp.filter(confirmed=True).exists() and not static.exists():
        raise Conflict(_("%(username)s has no second factor to reset.") % {"username": username})
    totp.delete()
    static.delete()
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    revoked = _tokens_revoke(user=user, now=now)
    user.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditAction.USER_FACTOR_RESET,
        obj=user,
        object_id=username,
        now=now,
        data={"tokens_revoked": revoked},
    )
    return user


@transaction.atomic
def user_reactivate(*, actor: User, username: str, now: datetime) -> User:
    """Let a deactivated person sign in again; old sessions and tokens stay ended."""
    require_role(actor, Role.INSTITUTE_ADMIN)
    user = _account_for_update(username)
    if user.is_active:
        raise Conflict(_("%(username)s is active already.") % {"username": username})
    User.objects.filter(pk=user.pk).update(is_active=True, deactivated_at=None)
    user.refresh_from_db()
    audit_record(
        actor=actor, action=AuditAction.USER_REACTIVATE, obj=user, object_id=username, now=now
    )
    return user


def _password_validated(user: User, password: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages)) from exc


@transaction.atomic
def password_change(
    *,
    actor: User,
    current_password: str,
    new_password: str,
    now: datetime,
    keep_token: ApiToken | None = None,
    channel: str = "web",
) -> User:
    """The person changes their own password: every other session and token ends.

    ``keep_token`` is the token the change was made with (the API): it stays valid.
    """
    user = _account_for_update(actor.username)
    if not user.check_password(current_password):
        raise Invalid(_("The current password is wrong. Type it again."))
    if new_password == current_password:
        raise Invalid(_("The new password is the same as the current one. Choose another."))
    _password_validated(user, new_password)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    revoked = _tokens_revoke(user=user, now=now, keep=keep_token)
    audit_record(
        actor=user,
        action=AuditAction.USER_PASSWORD_CHANGE,
        obj=user,
        object_id=user.username,
        now=now,
        data={"channel": channel, "tokens_revoked": revoked},
    )
    return user


@transaction.atomic
def password_set(*, actor: User | None, username: str, password: str, now: datetime) -> User:
    """Set someone's password from the command line (``actor`` None): every session and
    token of theirs ends."""
    if actor is not None:
        require_role(actor, Role.INSTITUTE_ADMIN)
    user = _account_for_update(username)
    _password_validated(user, password)
    user.set_password(password)
    user.save(update_fields=["password"])
    revoked = _tokens_revoke(user=user, now=now)
    audit_record(
        actor=actor,
        action=AuditAction.USER_PASSWORD_CHANGE,
        obj=user,
        object_id=user.username,
        now=now,
        data={"channel": "cli" if actor is None else "admin", "tokens_revoked": revoked},
    )
    return user


@transaction.atomic
def user_token_revoke(*, actor: User, username: str, token_id: int, now: datetime) -> None:
    """The institute admin revokes one of a user's tokens; 404 for a token not theirs."""
    require_role(actor, Role.INSTITUTE_ADMIN)
    token = (
        ApiToken.objects.select_for_update()
        .filter(pk=token_id, user__username=username, revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None:
        raise NotVisible(_("No such token in force."))
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=now)
    audit_record(
        actor=actor,
        action=AuditAction.AUTH_TOKEN_REVOKE_BY_ADMIN,
        object_type="token",
        object_id=str(token.pk),
        now=now,
        data={"user": username},
    )
