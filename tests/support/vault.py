"""Looking inside the vault after the fact, and sweeping the way production does: every
deferred step (blob removal, key file removal) runs after its commit."""

from datetime import datetime

from django.test import TestCase

from classvault.retention.services import retention_sweep
from classvault.vault.models import DataKey, Purpose
from classvault.vault.selectors import vault_open


def sweep(now: datetime, **kwargs) -> list[str]:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return retention_sweep(now=now, **kwargs)


def plaintext(recording_id, purpose: str = Purpose.ORIGINAL) -> bytes:
    with vault_open(object_id=str(recording_id), purpose=purpose) as reader:
        return b"".join(reader.iter_all())


def retention_keys_of(recording_id) -> set[str]:
    return set(
        DataKey.objects.filter(object_id=str(recording_id), destroyed_at__isnull=True).values_list(
            "retention_key", flat=True
        )
    )


def blob_files(home) -> list:
    return sorted(p for p in (home / "blobs").rglob("*") if p.is_file())


def key_files(home) -> list[str]:
    return sorted(p.name for p in (home / "retention-keys").glob("*.key"))
