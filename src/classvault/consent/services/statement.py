"""Publishing versions of the privacy statement (R15) with their contacts (R16)."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record
from classvault.core.exceptions import Conflict, Invalid
from classvault.core.time import today_in_amsterdam
from classvault.people.models import Role, User
from classvault.people.services import require_role

from .. import selectors
from ..models import ContactKind, StatementVersion

CONTACT_FIELDS = ("kind", "name", "email", "website", "phone")

# The public /privacy page links these: a javascript: or data: URL there would run in the
# visitor's browser, and plain http: invites a downgrade. An e-mail address is linked as
# mailto: by the page itself.
_https_url = URLValidator(schemes=["https"])


def _valid(validator, value: str) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


def _check_links(item: dict[str, str]) -> None:
    if item["email"] and not _valid(validate_email, item["email"]):
        raise Invalid(
            _("The e-mail address of contact %(name)s is not valid.") % {"name": item["name"]}
        )
    website = item["website"]
    if website and not (
        _valid(_https_url, website)
        or (website[:7].lower() == "mailto:" and _valid(validate_email, website[7:]))
    ):
        raise Invalid(
            _(
                "The website of contact %(name)s must be an https:// address (or "
                "mailto: with an e-mail address)."
            )
            % {"name": item["name"]}
        )


def _clean_contacts(contacts: list[dict[str, Any]]) -> list[dict[str, str]]:
    cleaned = []
    for contact in contacts:
        if not isinstance(contact, dict):
            raise Invalid(_("Each contact needs a kind and a name."))
        item = {k: str(contact.get(k) or "").strip() for k in CONTACT_FIELDS}
        if item["kind"] not in ContactKind.values or not item["name"]:
            raise Invalid(
                _("Each contact needs a kind (%(kinds)s) and a name.")
                % {"kinds": ", ".join(ContactKind.values)}
            )
        _check_links(item)
        cleaned.append(item)
    missing = [k for k in ContactKind.values if k not in {c["kind"] for c in cleaned}]
    if missing:
        raise Invalid(
            _("The statement must name these contacts too: %(kinds)s.")
            % {"kinds": ", ".join(str(ContactKind(k).label) for k in missing)}
        )
    return cleaned


@transaction.atomic
def statement_publish(
    *,
    actor: User | None,
    version: str,
    text: str,
    now: datetime,
    contacts: list[dict[str, Any]] | None = None,
) -> StatementVersion:
    """Publish a new version of the privacy statement (R15); it is in force from now.

    Without ``contacts`` the current version's contacts carry over.
    """
    if actor is not None:
        require_role(actor, Role.INSTITUTE_ADMIN, Role.PRIVACY_OFFICER)
    version, text = version.strip(), text.strip()
    if not version or not text:
        raise Invalid(_("A privacy statement needs a version and a text."))
    if contacts is None:
        current = selectors.statement_current()
        contacts = current.contacts if current is not None else []
    cleaned = _clean_contacts(contacts)
    if StatementVersion.objects.filter(version=version).exists():
        raise Conflict(
            _("Version %(version)s of the privacy statement already exists. Choose a new version.")
            % {"version": version}
        )
    statement = StatementVersion.objects.create(
        version=version,
        published_on=today_in_amsterdam(now),
        text=text,
        contacts=cleaned,
        published_at=now,
        published_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.PRIVACY_STATEMENT_PUBLISH,
        obj=statement,
        object_id=version,
        now=now,
        data={"version": version},
    )
    return statement
