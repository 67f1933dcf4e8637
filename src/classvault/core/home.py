"""Creating the embedded data home: folders and key files, before Django starts."""

import os
import secrets
from pathlib import Path


def write_secret_file(path: Path, content: str) -> bool:
    """Create ``path`` with mode 0600 holding ``content``; False if it already exists.

    O_EXCL makes two concurrent inits safe, and the mode is set at creation, so the secret is
    never readable by others even for a moment.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(content + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return True


def home_prepare(
    *,
    home: Path,
    secret_key_file: Path,
    master_key_file: Path,
    create_secret_key: bool,
    audit_key_file: Path | None = None,
) -> list[str]:
    """Make the data home and any missing key files; return what was created."""
    created = []
    if not home.exists():
        created.append(str(home))
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    (home / "blobs").mkdir(mode=0o700, exist_ok=True)
    if create_secret_key and write_secret_file(secret_key_file, secrets.token_urlsafe(50)):
        created.append(str(secret_key_file))
    # The key-encryption key of the vault: 256 random bits, hex encoded.
    if write_secret_file(master_key_file, secrets.token_hex(32)):
        created.append(str(master_key_file))
    # The audit chain's HMAC key (docs/audit.md): also 256 random bits, never in the database.
    if audit_key_file is not None and write_secret_file(audit_key_file, secrets.token_hex(32)):
        created.append(str(audit_key_file))
    return created
