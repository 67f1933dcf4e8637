"""File-like access to vault objects: a seekable decrypting file and a streaming writer."""

import io
import os
import secrets
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classvault.core.home import write_secret_file
from classvault.vault.blobs import blob_store
from classvault.vault.exceptions import VaultIntegrityError
from classvault.vault.files import DecryptingFile
from classvault.vault.models import DataKey, Purpose
from classvault.vault.segments import BytesSource, SegmentReader, encrypt_chunks
from classvault.vault.selectors import vault_open_file
from classvault.vault.services import vault_writer

NOW = datetime.fromisoformat("2026-11-02T10:00:00+01:00")
SEG = 64
KEY = bytes(range(32))
PLAINTEXT = os.urandom(7 * SEG + 3)
CIPHERTEXT = b"".join(encrypt_chunks([PLAINTEXT], key=KEY, object_id="r/o", segment_size=SEG))


def open_file(ciphertext: bytes = CIPHERTEXT) -> DecryptingFile:
    return DecryptingFile(SegmentReader(KEY, "r/o", BytesSource(ciphertext)))


@pytest.fixture
def master_key(settings) -> None:
    write_secret_file(Path(settings.CLASSVAULT_MASTER_KEY_FILE), secrets.token_hex(32))


def test_it_reads_like_a_file():
    with open_file() as fh:
        assert fh.readable() and fh.seekable() and not fh.writable()
        assert fh.read(10) == PLAINTEXT[:10]
        assert fh.tell() == 10
        assert fh.read() == PLAINTEXT[10:]
        assert fh.read(5) == b""
        assert fh.seek(-3, io.SEEK_END) == len(PLAINTEXT) - 3
        assert fh.read() == PLAINTEXT[-3:]
    assert fh.closed


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(st.integers(0, len(PLAINTEXT) + 10), st.integers(0, 3 * SEG)), max_size=10
    )
)
def test_random_seeks_and_reads_match_the_plaintext(steps):
    fh = io.BufferedReader(open_file(), buffer_size=50)
    for position, size in steps:
        fh.seek(position)
        assert fh.read(size) == PLAINTEXT[position : position + size]


def test_reads_through_the_file_are_authenticated_too():
    tampered = bytearray(CIPHERTEXT)
    tampered[16 + 3 * (SEG + 16) + 5] ^= 1
    fh = open_file(bytes(tampered))
    assert fh.read(SEG) == PLAINTEXT[:SEG]
    fh.seek(3 * SEG)
    with pytest.raises(VaultIntegrityError):
        fh.read(1)


def test_a_truncated_object_cannot_even_be_opened_as_a_file():
    with pytest.raises(VaultIntegrityError):
        open_file(CIPHERTEXT[: 16 + 2 * (SEG + 16)])


def test_vault_writer_stores_what_a_producer_writes(db, master_key):
    with vault_writer(
        object_id="rec-1", purpose=Purpose.RENDITION, now=NOW, segment_size=SEG
    ) as out:
        assert out.writable() and not out.seekable()
        for i in range(0, len(PLAINTEXT), 33):
            out.write(PLAINTEXT[i : i + 33])
        assert out.tell() == len(PLAINTEXT)
        assert out.result is None
    assert out.result.plaintext_size == len(PLAINTEXT)
    assert blob_store().size(out.result.blob_name) == out.result.ciphertext_size
    with vault_open_file(object_id="rec-1", purpose=Purpose.RENDITION) as fh:
        assert fh.read() == PLAINTEXT


def test_vault_writer_leaves_nothing_when_the_producer_fails(db, master_key, settings):
    with (
        pytest.raises(RuntimeError),
        vault_writer(object_id="rec-1", purpose=Purpose.RENDITION, now=NOW) as out,
    ):
        out.write(PLAINTEXT)
        raise RuntimeError("transcoder crashed")
    assert not DataKey.objects.exists()
    assert list((Path(settings.CLASSVAULT_HOME) / "blobs").rglob("*.*")) == []
