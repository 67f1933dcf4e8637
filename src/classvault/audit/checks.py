"""System checks of the audit log: its key file."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register

from classvault.core.checks import key_files_too_open


@register("classvault", deploy=True)
def check_audit_key_present(app_configs=None, **kwargs):
    """Run by ``classvault serve`` (and ``check --deploy``), like the secret key's check:
    ``migrate`` and ``init`` must still run before the key exists."""
    audit_key = Path(settings.CLASSVAULT_AUDIT_KEY_FILE)
    if audit_key.is_file():
        return []
    # Without it no audit event can be written, so no change can be made.
    return [
        Error(
            f"The audit key file {audit_key} does not exist.",
            hint="Run `classvault init`, or set CLASSVAULT_AUDIT_KEY_FILE to the key the "
            "audit log was written with.",
            id="classvault.E004",
        )
    ]


@register("classvault")
def check_audit_key_mode(app_configs=None, **kwargs):
    return key_files_too_open([Path(settings.CLASSVAULT_AUDIT_KEY_FILE)])
