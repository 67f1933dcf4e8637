"""System checks of the vault: its key files, and a storage it can serve."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from classvault.core.checks import key_files_too_open

from .blobs import blob_store
from .keys import retired_key_files
from .retention_keys import retention_key_folder


@register("classvault")
def check_vault(app_configs=None, **kwargs):
    master = Path(settings.CLASSVAULT_MASTER_KEY_FILE)
    retention_keys = retention_key_folder().root
    problems = key_files_too_open([
        master, *retired_key_files(master), retention_keys,
        *(retention_keys.glob("*.key") if retention_keys.is_dir() else [])])
    try:
        blob_store()
    except ImproperlyConfigured as exc:
        # Refused at start, not with a 500 on the first upload.
        problems.append(
            Error(str(exc), hint="Set CLASSVAULT_STORAGE_URL to file:///absolute/path, or "
                  "unset it to keep the blobs in CLASSVAULT_HOME/blobs.",
                  id="classvault.E005")
        )
    return problems
