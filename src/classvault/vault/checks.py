"""System checks of the vault: its key files, and a storage it can serve."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from classvault.core.checks import key_files_too_open

from .blobs import blob_store
from .keys import retired_key_files
from .retention_keys import retention_key_folder

STORAGE_HINT = (
    "Set CLASSVAULT_STORAGE_URL to file:///absolute/path of a writable folder, or to "
    "s3://bucket/prefix?endpoint_url=https://… with AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY for a bucket these credentials may read and write, "
    "or unset it to keep the blobs in CLASSVAULT_HOME/blobs."
)


@register("classvault")
def check_vault(app_configs=None, **kwargs):
    master = Path(settings.CLASSVAULT_MASTER_KEY_FILE)
    retention_keys = retention_key_folder().root
    problems = key_files_too_open(
        [
            master,
            *retired_key_files(master),
            retention_keys,
            *(retention_keys.glob("*.key") if retention_keys.is_dir() else []),
        ]
    )
    # Refused at start, not with a 500 on every upload.
    problem = storage_problem()
    if problem:
        problems.append(Error(problem, hint=STORAGE_HINT, id="classvault.E005"))
    return problems


def storage_problem() -> str | None:
    """Why the configured blob store cannot be used; None when it can.

    A real probe: the folder must be writable, the bucket must answer to the credentials.
    """
    try:
        store = blob_store()
    except (ImproperlyConfigured, ValueError, OSError) as exc:
        return str(exc)
    try:
        store.probe()
    except Exception as exc:  # any failure of a remote store (network, credentials) counts
        return f"CLASSVAULT_STORAGE_URL names a blob store that does not answer ({store!r}): {exc}"
    return None
