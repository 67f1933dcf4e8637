"""Checkpoints of the chain's head, kept in a file outside the database (docs/audit.md).

Each line pins one entry: ``cv-audit-1 SEQ HASH WRITTEN_AT KEY_ID MAC``, where MAC is the
HMAC-SHA256 under the audit key of ``checkpoint `` followed by the line's first five fields.
Someone who rewrites or cuts the log in the database cannot change these lines, so
``audit verify`` notices a checkpointed entry that changed or disappeared.

Lines are appended with O_APPEND in one ``write`` of under 200 bytes and fsynced: on a local
file system, concurrent appends from several processes (gunicorn workers, the background
worker) each land whole at the end of the file and never overwrite one another. This does
not hold on NFS, so the file belongs on a local disk of each machine.
"""

import hmac
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from .keys import AuditKey

LINE_VERSION = "cv-audit-1"


class CheckpointError(Exception):
    """The checkpoint file cannot be trusted or read: the log cannot be verified against it."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    written_at: str
    line: int

    def where(self) -> str:
        return f"the checkpoint of {self.written_at} (line {self.line} of {checkpoint_path()})"


def checkpoint_path() -> Path:
    return Path(settings.CLASSVAULT_AUDIT_CHECKPOINT_FILE)


def _body(key: AuditKey, seq: int, hash: str, written_at: str) -> str:
    return f"{LINE_VERSION} {seq} {hash} {written_at} {key.id}"


def _mac(key: AuditKey, body: str) -> str:
    return key.mac(b"checkpoint " + body.encode("ascii"))


def checkpoint_append(*, key: AuditKey, seq: int, hash: str, now: datetime) -> None:
    """Append a checkpoint of entry ``seq`` and make it durable before returning."""
    body = _body(key, seq, hash, now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    line = f"{body} {_mac(key, body)}\n".encode("ascii")
    fd = os.open(checkpoint_path(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        written = os.write(fd, line)
        if written != len(line):
            raise OSError(f"short write to {checkpoint_path()} ({written} of {len(line)} bytes)")
        os.fsync(fd)
    finally:
        os.close(fd)


def checkpoints_read(*, key: AuditKey) -> dict[int, list[Checkpoint]]:
    """Every checkpoint in the file, by sequence number; {} when there is no file yet.

    A line that is not a checkpoint under ``key`` makes the whole file untrustworthy.
    """
    path = checkpoint_path()
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"The audit checkpoint file {path} cannot be read: {exc}") from exc
    found: dict[int, list[Checkpoint]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split(" ")
        if len(fields) != 6 or fields[0] != LINE_VERSION or not fields[1].isdigit():
            raise CheckpointError(f"Line {number} of {path} is not an audit checkpoint.")
        _, seq, hash, written_at, key_id, mac = fields
        if key_id != key.id:
            raise CheckpointError(
                f"Line {number} of {path} was written with audit key {key_id}, but "
                f"CLASSVAULT_AUDIT_KEY_FILE holds key {key.id}: configure the audit key this "
                "log was written with."
            )
        if not hmac.compare_digest(mac, _mac(key, _body(key, int(seq), hash, written_at))):
            raise CheckpointError(
                f"Line {number} of {path} was not written by ClassVault (its MAC is wrong): "
                "the checkpoint file was edited."
            )
        found.setdefault(int(seq), []).append(Checkpoint(int(seq), hash, written_at, number))
    return found
