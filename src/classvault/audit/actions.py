"""Every action the audit log knows: one registry, so no free string can name an event.

``audit_record`` accepts only these. The values are what the log stores (and what the API,
the dashboard and ``audit verify`` show); never change one, add a new member instead.
``tests/test_audit_actions.py`` checks that some test asserts each of them.
"""

from django.db import models


class AuditAction(models.TextChoices):
    # audit
    AUDIT_KEYED = "audit.keyed"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    AUDIT_EXPORT = "audit.export"
    # vault
    VAULT_KEY_CREATE = "vault.key_create"
    VAULT_KEY_DESTROY = "vault.key_destroy"
    VAULT_KEY_REWRAP = "vault.key_rewrap"
    VAULT_KEY_ROTATE = "vault.key_rotate"
    VAULT_RETENTION_KEY_CREATE = "vault.retention_key_create"
    VAULT_RETENTION_KEY_DESTROY = "vault.retention_key_destroy"
    VAULT_RETENTION_KEY_ROTATE = "vault.retention_key_rotate"
    # people
    SCHOOL_CREATE = "school.create"
    USER_CREATE = "user.create"
    ENROLMENT_SET = "enrolment.set"
    GUIDELINES_PUBLISH = "guidelines.publish"
    GUIDELINES_ACKNOWLEDGE = "guidelines.acknowledge"
    AUTH_TOKEN_ISSUE = "auth.token_issue"
    AUTH_TOKEN_REVOKE = "auth.token_revoke"
    AUTH_LOGIN = "auth.login"
    AUTH_LOGIN_FAILED = "auth.login_failed"
    AUTH_LOCKOUT = "auth.lockout"
    AUTH_LOCKOUT_LIFT = "auth.lockout_lift"
    AUTH_FACTOR_ENROL = "auth.factor_enrol"
    AUTH_RECOVERY_CODE_USE = "auth.recovery_code_use"
    AUTH_SSO_LINK = "auth.sso_link"
    AUTH_TOKEN_REVOKE_BY_ADMIN = "auth.token_revoke_by_admin"
    USER_DEACTIVATE = "user.deactivate"
    USER_REACTIVATE = "user.reactivate"
    USER_FACTOR_RESET = "user.factor_reset"
    AUTH_RECOVERY_CODES_ISSUE = "auth.recovery_codes_issue"
    USER_PASSWORD_CHANGE = "user.password_change"
    # consent
    PRIVACY_STATEMENT_PUBLISH = "privacy_statement.publish"
    PUPIL_CREATE = "pupil.create"
    PUPIL_UPDATE = "pupil.update"
    PUPIL_IMPORT = "pupil.import"
    CONSENT_GIVE = "consent.give"
    CONSENT_WITHDRAW = "consent.withdraw"
    # recordings
    RECORDING_CREATE = "recording.create"
    RECORDING_ATTEST_OUT_OF_VIEW = "recording.attest_out_of_view"
    RECORDING_READY = "recording.ready"
    RECORDING_FAILED = "recording.failed"
    RECORDING_BLOCK = "recording.block"
    RECORDING_VIEW = "recording.view"
    RECORDING_POSTER = "recording.poster"
    RECORDING_STREAM = "recording.stream"
    # sharing
    RECORDING_SHARE = "recording.share"
    RECORDING_UNSHARE = "recording.unshare"
    SCREENING_SCHEDULE = "screening.schedule"
    SCREENING_CANCEL = "screening.cancel"
    COMMENT_ADD = "comment.add"
    COMMENT_EDIT = "comment.edit"
    COMMENT_DELETE = "comment.delete"
    ASSESSMENT_ADD = "assessment.add"
    # retention
    RECORDING_EXPIRY_CHANGE = "recording.expiry_change"
    RECORDING_DELETE = "recording.delete"
    RETENTION_REMINDER = "retention.reminder"
    LEGAL_HOLD_PLACE = "legal_hold.place"
    LEGAL_HOLD_RELEASE = "legal_hold.release"
    # rights
    REQUEST_REGISTER = "request.register"
    REQUEST_START = "request.start"
    REQUEST_EXTEND = "request.extend"
    REQUEST_COMPLETE = "request.complete"
    REQUEST_REJECT = "request.reject"
    REQUEST_REMINDER = "request.reminder"
    REQUEST_INSPECTION = "request.inspection"
    REQUEST_RECORDING_DELETE = "request.recording_delete"
    REQUEST_WITHDRAWAL = "request.withdrawal"
    REPORT_READ = "report.read"
    PUPIL_ERASE = "pupil.erase"
    # redaction
    REDACTION_ORDER = "redaction.order"
    REDACTION_REVIEW = "redaction.review"
    REDACTION_CANCEL = "redaction.cancel"
    REDACTION_APPLY = "redaction.apply"
    REDACTION_FAIL = "redaction.fail"
