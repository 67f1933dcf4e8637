"""System checks of the vault: its key files, and a storage it can serve."""

import os
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from classvault.core.checks import key_files_too_open

from .blobs import FileBlobStore, blob_store
from .keys import retired_key_files
from .retention_keys import retention_key_folder

STORAGE_HINT = (
    "Set CLASSVAULT_STORAGE_URL to file:///absolute/path of a writable folder, "
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
    """Why the configured blob store cannot be used; None when it can."""
    try:
        store = blob_store()
        if isinstance(store, FileBlobStore):
            return _folder_problem(store.root)
    except (ImproperlyConfigured, ValueError, OSError) as exc:
        return str(exc)
    return None


def _folder_problem(root: Path) -> str | None:
    """The blob root must be a writable folder, or be creatable as one (made on first use)."""
    where = f"The blob store folder {root}"
    if root.exists():
        if not root.is_dir():
            return f"{where} is not a folder."
        if not os.access(root, os.W_OK | os.X_OK):
            return f"{where} is not writable for this user."
        return None
    parent = root.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return f"{where} cannot be created: {parent} is not a folder."
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"{where} cannot be created: {parent} is not writable for this user."
    return None
