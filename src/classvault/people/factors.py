"""The second factor: TOTP (an authenticator app) with single-use recovery codes (django-otp).

Privacy officers, institute admins and trainers (CLASSVAULT_SECOND_FACTOR_ROLES) must have
one: the web pages send them to enrolment after their password, and the token endpoint
wants a code. Anyone else may enrol; once enrolled, their code is asked for too.
A single sign-on whose provider vouches for its own second factor (CLASSVAULT_OIDC_MFA_*)
counts as one for that session (people/sso.py).
"""

import io
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record

from .models import User

RECOVERY_CODES = 10
# The session key that says the provider of this single sign-on vouched for a second factor.
SSO_FACTOR_SESSION_KEY = "classvault_sso_factor"


def factor_required(*, user: User) -> bool:
    """Whether this person's role may not work without a second factor."""
    return user.role in settings.CLASSVAULT_SECOND_FACTOR_ROLES


def factor_enrolled(*, user: User) -> bool:
    return user_has_device(user, confirmed=True)


def factor_needed(*, user: User) -> bool:
    """Whether a login of this person must show a second factor (required, or enrolled)."""
    return factor_required(user=user) or factor_enrolled(user=user)


def factor_pending_device(*, user: User) -> TOTPDevice:
    """The authenticator being enrolled: an unconfirmed TOTP device, made on first ask."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def factor_qr_svg(*, device: TOTPDevice) -> str:
    """The enrolment QR code as inline SVG markup (nothing is fetched from elsewhere)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]


def factor_secret(*, device: TOTPDevice) -> str:
    """The device's key in base32, grouped by four, for typing into an app by hand."""
    plain = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(plain[i : i + 4] for i in range(0, len(plain), 4))


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    recovery_codes: list[str]


@transaction.atomic
def factor_enrol_confirm(*, actor: User, code: str, now: datetime) -> Enrolment | None:
    """Confirm the pending authenticator with a code from it; None when the code is wrong.

    Confirming replaces any earlier authenticator and recovery codes, so a lost phone is
    replaced by enrolling again (after logging in with a recovery code)."""
    device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).first()
    if device is None or not device.verify_token(_digits(code)):
        return None
    TOTPDevice.objects.filter(user=actor, confirmed=True).delete()
    StaticDevice.objects.filter(user=actor).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_issue(user=actor)
    audit_record(
        actor=actor,
        action=AuditAction.AUTH_FACTOR_ENROL,
        object_type="user",
        object_id=actor.username,
        now=now,
        data={"recovery_codes": len(codes)},
    )
    return Enrolment(device=device, recovery_codes=codes)


@transaction.atomic
def factor_enrol_direct(*, user: User, now: datetime) -> TOTPDevice:
    """The person's authenticator, made confirmed at once if they have none: for demo data
    (``classvault demo`` prints its key) where nobody can scan a QR code first."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        return device
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    audit_record(
        actor=user,
        action=AuditAction.AUTH_FACTOR_ENROL,
        object_type="user",
        object_id=user.username,
        now=now,
        data={"recovery_codes": 0, "direct": True},
    )
    return device


def recovery_codes_issue(*, user: User) -> list[str]:
    """New single-use recovery codes (shown once; only django-otp's copy is kept)."""
    static, _ = StaticDevice.objects.get_or_create(user=user, name="recovery", confirmed=True)
    static.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
    return codes


@transaction.atomic
def recovery_codes_renew(*, actor: User, code: str, now: datetime) -> list[str] | None:
    """New recovery codes for an enrolled person, in exchange for a current code of their
    authenticator app (not a recovery code: those are what is being replaced); the old codes
    stop working. None when the code is wrong or the person has no authenticator."""
    code = _digits(code)
    device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=True).first()
    if device is None or not code or not device.verify_token(code):
        return None
    codes = recovery_codes_issue(user=actor)
    audit_record(
        actor=actor,
        action=AuditAction.AUTH_RECOVERY_CODES_ISSUE,
        object_type="user",
        object_id=actor.username,
        now=now,
        data={"recovery_codes": len(codes)},
    )
    return codes


@transaction.atomic
def factor_verify(*, user: User, code: str, now: datetime):
    """The device that accepts ``code`` (an authenticator code, or a recovery code, which is
    then used up), or None. A code is accepted once; django-otp throttles wrong codes."""
    code = (code or "").strip().replace(" ", "").lower()
    if not code:
        return None
    for device in devices_for_user(user, confirmed=True, for_verify=True):
        if isinstance(device, TOTPDevice) and code.isdigit() and device.verify_token(code):
            return device
        if isinstance(device, StaticDevice) and device.verify_token(code):
            audit_record(
                actor=user,
                action=AuditAction.AUTH_RECOVERY_CODE_USE,
                object_type="user",
                object_id=user.username,
                now=now,
                data={"left": device.token_set.count()},
            )
            return device
    return None


def _digits(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isdigit())
