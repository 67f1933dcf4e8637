"""System checks that refuse or warn about dangerous configuration."""

import stat
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

from classvault.vault.blobs import blob_store
from classvault.vault.epochs import retention_key_folder
from classvault.vault.keys import retired_key_files


def _mode_too_open(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


@register("classvault", deploy=True)
def check_ready_to_serve(app_configs=None, **kwargs):
    """Run by ``classvault serve`` (and ``check --deploy``): management commands such as
    ``migrate`` must still work before ``classvault init`` wrote the key."""
    problems = []
    if settings.CLASSVAULT_SECRET_KEY_MISSING:
        problems.append(
            Error(
                "No secret key is configured.",
                hint="Run `classvault init`, or set CLASSVAULT_SECRET_KEY(_FILE).",
                id="classvault.E001",
            )
        )
    audit_key = Path(settings.CLASSVAULT_AUDIT_KEY_FILE)
    if not audit_key.is_file():
        # Without it no audit event can be written, so no change can be made.
        problems.append(
            Error(
                f"The audit key file {audit_key} does not exist.",
                hint="Run `classvault init`, or set CLASSVAULT_AUDIT_KEY_FILE to the key the "
                "audit log was written with.",
                id="classvault.E004",
            )
        )
    return problems


@register("classvault")
def check_configuration(app_configs=None, **kwargs):
    problems = []
    if not settings.CLASSVAULT_SECRET_KEY_MISSING and len(settings.SECRET_KEY) < 40:
        problems.append(
            Error("The secret key is shorter than 40 characters.", id="classvault.E002")
        )
    master = Path(settings.CLASSVAULT_MASTER_KEY_FILE)
    retention_keys = retention_key_folder().root
    key_files = [Path(settings.CLASSVAULT_SECRET_KEY_FILE), master,
                 Path(settings.CLASSVAULT_AUDIT_KEY_FILE),
                 *retired_key_files(master), retention_keys,
                 *(retention_keys.glob("*.key") if retention_keys.is_dir() else [])]
    for path in key_files:
        if path.exists() and _mode_too_open(path):
            problems.append(
                Error(
                    f"{path} is readable by others than its owner.",
                    hint=f"chmod {'700' if path.is_dir() else '600'} {path}",
                    id="classvault.E003",
                )
            )
    try:
        blob_store()
    except ImproperlyConfigured as exc:
        # Refused at start, not with a 500 on the first upload.
        problems.append(
            Error(str(exc), hint="Set CLASSVAULT_STORAGE_URL to file:///absolute/path, or "
                  "unset it to keep the blobs in CLASSVAULT_HOME/blobs.",
                  id="classvault.E005")
        )
    if settings.DEBUG:
        problems.append(
            Warning(
                "CLASSVAULT_DEBUG is on: error pages show internals.",
                hint="Never run with debug on where real recordings are kept.",
                id="classvault.W001",
            )
        )
    if not settings.CLASSVAULT_HTTPS and any(
        h not in {"127.0.0.1", "localhost", "::1", "testserver"} for h in settings.ALLOWED_HOSTS
    ):
        problems.append(
            Warning(
                "The site answers on a non-loopback host without HTTPS: cookies are not Secure.",
                hint="Serve behind TLS and set CLASSVAULT_HTTPS=true.",
                id="classvault.W002",
            )
        )
    return problems
