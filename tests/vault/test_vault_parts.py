"""Parted objects: written part by part as chunks arrive, sealed without re-encrypting.

The parts laid end to end are byte for byte the version-1 object the one-blob writer makes
with the same key and nonce prefix, so the ordinary reader (and the format document's test
vectors) cover them; sealing touches at most the last segment.
"""

import secrets
from datetime import datetime
from pathlib import Path

import pytest
from django.db import transaction
from django.test import TestCase

from classvault.core.home import write_secret_file
from classvault.vault.exceptions import VaultIntegrityError, VaultNotFound
from classvault.vault.models import DataKey, Purpose
from classvault.vault.segments import encrypt_chunks
from classvault.vault.selectors import vault_open
from classvault.vault.services import (
    data_key_unwrap,
    vault_discard,
    vault_part_write,
    vault_parted_begin,
    vault_parted_seal,
    vault_shred,
)

NOW = datetime.fromisoformat("2026-11-02T10:00:00+01:00")
pytestmark = pytest.mark.django_db

PART = 256  # below one MiB, so also the segment size
DATA = bytes(range(256)) * 5 + b"LESSON-TAIL-" * 9  # 5 whole parts and a short sixth


@pytest.fixture(autouse=True)
def master_key(settings) -> None:
    write_secret_file(Path(settings.CLASSVAULT_MASTER_KEY_FILE), secrets.token_hex(32))


def begin(object_id="rec-parted", part_size=PART):
    return vault_parted_begin(
        object_id=object_id, purpose=Purpose.ORIGINAL, part_size=part_size, now=NOW
    )


def write_all(parted, data, *, terminate=True, piece=100):
    parts = [data[i : i + parted.part_size] for i in range(0, len(data), parted.part_size)]
    for index, part in enumerate(parts):
        last = terminate and index == len(parts) - 1
        pieces = [part[i : i + piece] for i in range(0, len(part), piece)]
        vault_part_write(
            data_key_id=parted.data_key_id, index=index, chunks=pieces, length=len(part), last=last
        )
    return len(parts)


def read(object_id="rec-parted") -> bytes:
    with vault_open(object_id=object_id, purpose=Purpose.ORIGINAL) as reader:
        return reader.read_all()


def part_files(home: Path) -> list[Path]:
    return sorted(p for p in (home / "blobs").rglob("*.cv"))


def test_parts_read_back_as_one_object_also_across_part_borders(vault_home):
    parted = begin()
    stored = vault_parted_seal(
        data_key_id=parted.data_key_id, parts=write_all(parted, DATA), terminated=True, now=NOW
    )
    assert stored.plaintext_size == len(DATA)
    assert read() == DATA
    with vault_open(object_id="rec-parted", purpose=Purpose.ORIGINAL) as reader:
        assert reader.read_range(250, 530) == DATA[250:531]
        assert reader.read_range(len(DATA) - 3, len(DATA) - 1) == DATA[-3:]


def test_the_parts_laid_end_to_end_are_the_one_blob_format(vault_home):
    parted = begin()
    parts = write_all(parted, DATA)
    key = DataKey.objects.get(pk=parted.data_key_id)
    joined = b"".join(p.read_bytes() for p in part_files(vault_home))
    expected = b"".join(
        encrypt_chunks(
            [DATA],
            key=data_key_unwrap(data_key=key),
            object_id="rec-parted/original",
            segment_size=PART,
            nonce_prefix=bytes(key.nonce_prefix),
        )
    )
    assert parts == 6 and joined == expected
    assert DATA[300:340] not in joined


def test_an_unsealed_object_cannot_be_opened(vault_home):
    parted = begin()
    write_all(parted, DATA)
    with pytest.raises(VaultNotFound):
        read()


@pytest.mark.parametrize("length", [PART, 3 * PART, 3 * PART + 17])
def test_an_end_not_known_on_arrival_is_sealed_by_resealing_one_segment(vault_home, length):
    """A browser recording stopped, or its tab closed, after a whole part: its last segment
    was sealed as "more follows"; sealing gives it the last-segment flag."""
    parted = begin()
    data = DATA[:length]
    parts = write_all(parted, data, terminate=length % PART != 0)
    before = [p.read_bytes() for p in part_files(vault_home)]
    stored = vault_parted_seal(
        data_key_id=parted.data_key_id,
        parts=parts,
        terminated=length % PART != 0,
        now=NOW,
    )
    after = [p.read_bytes() for p in part_files(vault_home)]
    assert stored.plaintext_size == len(data) and read() == data
    # Only the last segment changed: every other byte is the ciphertext as it arrived.
    assert after[:-1] == before[:-1]
    assert after[-1][: -(PART + 16)] == before[-1][: -(PART + 16)]
    # Sealing again (a completion retried) changes nothing.
    vault_parted_seal(data_key_id=parted.data_key_id, parts=parts, terminated=False, now=NOW)
    assert read() == data


def test_an_end_that_was_never_sealed_is_refused_when_read_unsealed(vault_home):
    """Without the reseal, the reader takes a part cut at a segment border for truncated."""
    parted = begin()
    parts = write_all(parted, DATA[: 2 * PART], terminate=False)
    DataKey.objects.filter(pk=parted.data_key_id).update(sealed=True, parts=parts)
    with pytest.raises(VaultIntegrityError):
        read()


def test_a_missing_part_is_caught_when_sealing(vault_home):
    parted = begin()
    write_all(parted, DATA)
    with pytest.raises(VaultIntegrityError):
        vault_parted_seal(data_key_id=parted.data_key_id, parts=5, terminated=True, now=NOW)
    assert DataKey.objects.get(pk=parted.data_key_id).sealed is False


def test_a_part_swapped_for_another_is_caught_when_read(vault_home):
    parted = begin()
    parts = write_all(parted, DATA)
    vault_parted_seal(data_key_id=parted.data_key_id, parts=parts, terminated=True, now=NOW)
    files = part_files(vault_home)
    second, third = files[1].read_bytes(), files[2].read_bytes()
    files[1].write_bytes(third)
    files[2].write_bytes(second)
    with pytest.raises(VaultIntegrityError):
        read()


@pytest.mark.parametrize(("length", "last"), [(PART - 1, False), (PART + 1, True), (0, True)])
def test_a_part_of_the_wrong_length_keeps_nothing(vault_home, length, last):
    parted = begin()
    vault_part_write(data_key_id=parted.data_key_id, index=0, chunks=[DATA[:PART]], length=PART)
    with pytest.raises(ValueError):
        vault_part_write(
            data_key_id=parted.data_key_id,
            index=1,
            chunks=[DATA[:length]],
            length=length,
            last=last,
        )
    assert len(part_files(vault_home)) == 1


def test_a_part_cut_off_keeps_nothing(vault_home):
    parted = begin()
    with pytest.raises(ValueError):
        vault_part_write(data_key_id=parted.data_key_id, index=0, chunks=[DATA[:100]], length=PART)
    assert part_files(vault_home) == []


def test_a_part_size_that_is_not_whole_segments_is_refused(vault_home):
    with pytest.raises(ValueError):
        begin(part_size=(1 << 20) + 5)


def test_discarding_or_shredding_removes_every_part(vault_home):
    for object_id, remove in [("rec-a", "discard"), ("rec-b", "shred")]:
        parted = begin(object_id)
        write_all(parted, DATA)
        with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
            if remove == "discard":
                vault_discard(data_key_id=parted.data_key_id, now=NOW)
            else:
                vault_shred(object_id=object_id, now=NOW)
        assert DataKey.objects.get(pk=parted.data_key_id).destroyed_at == NOW
    assert part_files(vault_home) == []
