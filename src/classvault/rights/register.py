"""The record of processing activities (GDPR art. 30, R5), generated from the running
configuration: the retention period, where the blobs are stored, which roles exist and how
many active accounts hold each. Nothing here is typed in by hand per installation, so the
register cannot drift from what the system does. Never shows a secret: of the storage URL
only the scheme and host appear.
"""

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils.translation import gettext as _

from classvault.consent import selectors as consent_selectors
from classvault.people.models import Role, User

from .report import BASIS_CONSENT, PURPOSE


def _storage() -> str:
    url = urlsplit(settings.CLASSVAULT_STORAGE_URL)
    if url.scheme == "file":
        return _("Encrypted files on the institute's own server (file storage)")
    host = url.hostname or ""
    return _("Encrypted objects in S3-compatible object storage (%(where)s)") % {
        "where": f"{url.scheme}://{host or url.netloc.split('@')[-1]}"
    }


def _database() -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(
        connection.vendor, connection.vendor
    )


ROLE_DUTIES = {
    Role.INSTITUTE_ADMIN: _("manages schools, accounts and placements; sees no recordings"),
    Role.SCHOOL_ADMIN: _("registers pupils and consent forms of their own school"),
    Role.STUDENT_TEACHER: _("records their own lessons; sees their own recordings"),
    Role.TRAINER: _("sees recordings a student teacher shared with them, to coach and assess"),
    Role.SCHOOL_SUPERVISOR: _(
        "sees the recordings of their student teachers made at their own school"
    ),
    Role.PRIVACY_OFFICER: _(
        "handles requests, legal holds and the audit log; every view logged with its purpose"
    ),
}


def processing_register(*, now: datetime) -> dict[str, Any]:
    """The register as data, for the page, the printable document and the API."""
    months = settings.CLASSVAULT_RETENTION_MONTHS
    counts = dict(
        User.objects.filter(is_active=True)
        .values_list("role")
        .annotate(n=Count("pk"))
        .values_list("role", "n")
    )
    recipients = [
        {
            "role": role.value,
            "label": str(role.label),
            "duties": str(ROLE_DUTIES[role]),
            "accounts": counts.get(role.value, 0),
        }
        for role in Role
    ]
    statement = consent_selectors.statement_current()
    contacts = consent_selectors.statement_contacts(statement) if statement else []
    storage, database = _storage(), _database()
    retention = _(
        "%(months)d months after the recording, or the end of the student teacher's study "
        "if that is earlier; then the keys are destroyed and the recording deleted. Longer "
        "only under a legal hold placed by the privacy officer."
    ) % {"months": months}
    security = [
        _(
            "Each stored object encrypted with its own key (AES-256-GCM); keys wrapped by "
            "retention keys and a master key outside the database"
        ),
        _("Deleting a recording destroys its keys first: backups cannot bring it back"),
        _(
            "Who sees a recording is one rule (owner, custodians, shares, screenings, privacy "
            "officer); nobody else, whatever their role"
        ),
        _("Streaming in the browser only; no download"),
        _(
            "Every view, share, screening, consent change, request and deletion in a "
            "tamper-evident audit log (keyed hash chain with checkpoints)"
        ),
        _("Passwords hashed with Argon2; API tokens expire"),
        _("Storage: %(where)s") % {"where": storage},
        _("Database: %(engine)s") % {"engine": database},
    ]
    activities = [
        {
            "name": _("Recording lessons for the coaching and assessment of student teachers"),
            "purposes": [
                str(PURPOSE),
                _("Showing to fellow students in a screening (peer learning)"),
            ],
            "legal_bases": [
                str(BASIS_CONSENT),
                _("For student teachers: the education agreement (art. 6(1)(b))"),
            ],
            "data": [
                _("Video and sound of lessons"),
                _("Which pupils were present"),
                _("Comments and assessments"),
                _("Who viewed, shared and screened a recording"),
            ],
            "people": [_("Pupils"), _("Student teachers"), _("Trainers"), _("School supervisors")],
            "recipients": [r["label"] for r in recipients if r["role"] != Role.INSTITUTE_ADMIN],
            "retention": retention,
        },
        {
            "name": _("Consent administration"),
            "purposes": [_("Proving who consented to what, under which privacy statement")],
            "legal_bases": [_("Legal obligation to demonstrate consent (art. 7(1), 6(1)(c))")],
            "data": [
                _("Pupil's name, school number, group and date of birth"),
                _("Consent forms and withdrawals: who signed, when, statement version"),
            ],
            "people": [_("Pupils"), _("Parents and guardians")],
            "recipients": [str(Role.SCHOOL_ADMIN.label), str(Role.PRIVACY_OFFICER.label)],
            "retention": _(
                "The consent history is append-only and kept as proof of consent; "
                "on erasure the pupil's name, number and group are removed and the "
                "date of birth cut to its year (docs/rights.md)"
            ),
        },
        {
            "name": _("Handling data-subject requests and complaints"),
            "purposes": [
                _(
                    "Answering requests for access, rectification, erasure and "
                    "withdrawal, and complaints, on time"
                )
            ],
            "legal_bases": [_("Legal obligation (GDPR art. 12-22; art. 6(1)(c))")],
            "data": [_("The request, who made it, its deadline and outcome")],
            "people": [_("Pupils"), _("Parents and guardians")],
            "recipients": [str(Role.PRIVACY_OFFICER.label)],
            "retention": _("Kept with the audit log as proof that requests were answered"),
        },
        {
            "name": _("Audit log"),
            "purposes": [_("Accountability: proving every access and change (art. 5(2))")],
            "legal_bases": [_("Legal obligation (art. 5(2), 32; art. 6(1)(c))")],
            "data": [_("Who did what, when, to which recording or pupil (opaque ids), and why")],
            "people": [_("Every user"), _("Pupils, by opaque id only")],
            "recipients": [str(Role.PRIVACY_OFFICER.label)],
            "retention": _("Append-only; names of pupils never enter it"),
        },
    ]
    return {
        "generated_at": now,
        "controller": contacts,
        "statement_version": statement.version if statement else "",
        "activities": [
            {k: (str(v) if not isinstance(v, list) else [str(x) for x in v]) for k, v in a.items()}
            for a in activities
        ],
        "recipients": recipients,
        "retention_months": months,
        "storage": storage,
        "database": database,
        "security": [str(s) for s in security],
    }
