"""Institutional login (OpenID Connect, e.g. SURFconext): which ClassVault user an identity is.

1. An identity seen before is found by its issuer and ``sub`` (FederatedIdentity).
2. A new identity is linked to the one user the institute admin made whose e-mail address
   (CLASSVAULT_OIDC_LINK_CLAIM=email, the default; an unverified address does not count) or
   username (any other claim, e.g. eduperson_principal_name) equals that claim.
3. Otherwise, when the institute configured a role claim, an identity whose claim maps to a
   role without a school (CLASSVAULT_OIDC_ROLE_MAP) is provisioned as a new user with that
   role and no password. The role claim only ever provisions: a known user keeps the role
   ClassVault gives them.
4. Anyone else is refused (``SsoRefused``): the institute admin must add them first.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record

from .models import ROLES_WITH_SCHOOL, FederatedIdentity, Role, User


class SsoRefused(Exception):
    """This identity is not (or no longer) a ClassVault user."""


def _values(claim) -> list[str]:
    if claim is None:
        return []
    if isinstance(claim, list | tuple):
        return [str(v) for v in claim]
    return [str(v) for v in str(claim).split()] if " " in str(claim) else [str(claim)]


def sso_factor_vouched(*, claims: dict) -> bool:
    """Whether the provider says this login used a second factor (CLASSVAULT_OIDC_MFA_*)."""
    claim = settings.CLASSVAULT_OIDC_MFA_CLAIM
    wanted = set(settings.CLASSVAULT_OIDC_MFA_VALUES)
    return bool(claim and wanted) and bool(wanted & set(_values(claims.get(claim))))


def _mapped_role(claims: dict) -> str | None:
    claim = settings.CLASSVAULT_OIDC_ROLE_CLAIM
    if not claim:
        return None
    for value in _values(claims.get(claim)):
        role = settings.CLASSVAULT_OIDC_ROLE_MAP.get(value)
        if role in Role.values and role not in ROLES_WITH_SCHOOL:
            return role
    return None


def _linked_user(claims: dict) -> User | None:
    claim = settings.CLASSVAULT_OIDC_LINK_CLAIM
    value = str(claims.get(claim) or "").strip()
    if not value:
        return None
    if claim == "email":
        if claims.get("email_verified") is False:
            return None
        matches = list(User.objects.filter(email__iexact=value)[:2])
    else:
        matches = list(User.objects.filter(username__iexact=value)[:2])
    return matches[0] if len(matches) == 1 else None


@transaction.atomic
def sso_user_for(*, issuer: str, claims: dict, now: datetime) -> User:
    """The user this identity logs in as; links (or provisions) on first sight."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise SsoRefused("no subject")
    known = FederatedIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject)
    if known:
        user = known[0].user
        if not user.is_active:
            raise SsoRefused("inactive")
        return user
    user = _linked_user(claims)
    provisioned = False
    if user is not None and user.identities.filter(issuer=issuer).exists():
        raise SsoRefused("already linked to another identity")
    if user is None:
        role = _mapped_role(claims)
        username = str(
            claims.get(settings.CLASSVAULT_OIDC_LINK_CLAIM) or claims.get("email") or ""
        ).strip()[:150]
        if role is None or not username or User.objects.filter(username__iexact=username):
            raise SsoRefused("unknown identity")
        user = User(
            username=username,
            role=role,
            full_name=str(claims.get("name") or "")[:200],
            email=str(claims.get("email") or "")[:254],
        )
        user.set_unusable_password()
        user.save()
        provisioned = True
    if not user.is_active:
        raise SsoRefused("inactive")
    FederatedIdentity.objects.create(user=user, issuer=issuer, subject=subject, linked_at=now)
    audit_record(
        actor=user,
        action=AuditAction.AUTH_SSO_LINK,
        object_type="user",
        object_id=user.username,
        now=now,
        data={"issuer": issuer, "provisioned": provisioned, "role": user.role},
    )
    return user
