"""What the audit log's codes mean, in words a privacy officer reads (Dutch first).

The log stores stable codes (``recording.stream``); people read these labels. A code
without a label is shown as it is, so a new action is never hidden.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, Promise] = {
    "audit.keyed": _("Audit log switched to keyed hashes"),
    "audit.read": _("Read the audit log"),
    "audit.verify": _("Checked the audit log's integrity"),
    "audit.export": _("Exported a selection of the audit log"),
    "vault.key_create": _("Encryption key created"),
    "vault.key_destroy": _("Encryption key destroyed"),
    "vault.key_rewrap": _("Encryption key re-wrapped"),
    "vault.key_rotate": _("Encryption keys rotated"),
    "vault.retention_key_create": _("Retention key created"),
    "vault.retention_key_destroy": _("Retention key destroyed"),
    "vault.retention_key_rotate": _("Retention keys rotated"),
    "school.create": _("School added"),
    "user.create": _("User added"),
    "enrolment.set": _("Placement of a student teacher changed"),
    "guidelines.publish": _("Recording guidelines published"),
    "guidelines.acknowledge": _("Recording guidelines accepted"),
    "auth.token_issue": _("API token issued"),
    "auth.token_revoke": _("API token revoked"),
    "auth.login": _("Logged in"),
    "auth.login_failed": _("Failed login"),
    "auth.lockout": _("Login locked after repeated failures"),
    "auth.lockout_lift": _("Login lockout lifted"),
    "auth.factor_enrol": _("Second factor set up"),
    "auth.recovery_code_use": _("Recovery code used"),
    "auth.sso_link": _("Institutional login linked"),
    "auth.token_revoke_by_admin": _("API token revoked by the administrator"),
    "user.deactivate": _("User deactivated"),
    "user.reactivate": _("User reactivated"),
    "user.factor_reset": _("Second factor reset by the administrator"),
    "auth.recovery_codes_issue": _("New recovery codes issued"),
    "user.password_change": _("Password changed"),
    "privacy_statement.publish": _("Privacy statement published"),
    "pupil.create": _("Pupil added"),
    "pupil.update": _("Pupil's details changed"),
    "pupil.import": _("Roster imported"),
    "consent.give": _("Consent form registered"),
    "consent.withdraw": _("Consent withdrawn in person"),
    "recording.create": _("Recording uploaded"),
    "recording.attest_out_of_view": _("Pupil kept out of view and sound"),
    "recording.ready": _("Recording ready to watch"),
    "recording.failed": _("Recording could not be processed"),
    "recording.block": _("Recording blocked after a withdrawal"),
    "recording.view": _("Recording opened"),
    "recording.poster": _("Recording's still image opened"),
    "recording.stream": _("Recording watched"),
    "recording.share": _("Recording shared"),
    "recording.unshare": _("Sharing stopped"),
    "screening.schedule": _("Screening scheduled"),
    "screening.cancel": _("Screening cancelled"),
    "comment.add": _("Feedback given"),
    "assessment.add": _("Recording assessed"),
    "recording.expiry_change": _("Expiry date changed"),
    "recording.delete": _("Recording deleted"),
    "retention.reminder": _("Expiry reminder sent"),
    "legal_hold.place": _("Legal hold placed"),
    "legal_hold.release": _("Legal hold released"),
    "request.register": _("Request registered"),
    "request.start": _("Request taken up"),
    "request.extend": _("Request's deadline extended"),
    "request.complete": _("Request completed"),
    "request.reject": _("Request rejected"),
    "request.reminder": _("Request deadline reminder sent"),
    "request.inspection": _("Inspection held for a requester"),
    "request.recording_delete": _("Recording deleted on a request"),
    "request.withdrawal": _("Withdrawal registered on a request"),
    "report.read": _("Access report read"),
    "pupil.erase": _("Pupil's details erased"),
}

# What the privacy officer's dashboard calls noteworthy: changes to consent and to what is
# kept, deletions, blocked recordings, failed logins and checks of the log.
NOTEWORTHY = (
    "consent.withdraw",
    "legal_hold.place",
    "legal_hold.release",
    "recording.delete",
    "recording.block",
    "auth.login_failed",
    "auth.lockout",
    "user.deactivate",
    "user.factor_reset",
    "audit.verify",
    "privacy_statement.publish",
    "pupil.import",
    "request.register",
    "request.complete",
    "request.reject",
    "pupil.erase",
)

PURPOSE_LABELS: dict[str, Promise] = {
    "coaching": _("coaching"),
    "assessment": _("assessment"),
    "screening": _("screening with fellow students"),
    "legal_obligation": _("legal obligation"),
    "consent_withdrawal": _("consent withdrawal"),
    "legal_hold": _("legal hold"),
    "inspection": _("inspection by the requester"),
    "access_request": _("request for access"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def purpose_label(purpose: str) -> str:
    """A known purpose in words; one the privacy officer typed herself as she typed it."""
    label = PURPOSE_LABELS.get(purpose)
    return str(label) if label is not None else purpose


def action_choices() -> list[tuple[str, str]]:
    """(code, label) for a picker, sorted by label in the current language."""
    return sorted(
        ((code, str(label)) for code, label in ACTION_LABELS.items()),
        key=lambda choice: choice[1].lower(),
    )
