"""docs/vault-format.md stays true: its test vectors match the code and the construction."""

import hashlib
import io
import re
import struct
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from classvault.vault.keys import LocalKeyProvider, kek_id_for
from classvault.vault.segments import BytesSource, SegmentReader, SegmentWriter

DOC = Path(__file__).resolve().parents[2] / "docs" / "vault-format.md"


PARTS = ("header", "segment_0", "segment_1", "segment_2")


def vectors(name: str) -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"<!-- test-vector: {name} -->\s*```text\n(.*?)```", text, re.S)
    assert match, f"no test vector block {name!r} in {DOC}"
    pairs = (line.split("=", 1) for line in match.group(1).splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


@pytest.fixture(scope="module")
def seg() -> dict[str, str]:
    return vectors("segments")


def test_the_writer_produces_the_documented_object(seg):
    sink = io.BytesIO()
    with SegmentWriter(
        bytes.fromhex(seg["key"]),
        seg["object_id"],
        sink,
        segment_size=int(seg["segment_size"]),
        nonce_prefix=bytes.fromhex(seg["nonce_prefix"]),
    ) as writer:
        writer.write(bytes.fromhex(seg["plaintext"]))
    expected = "".join(seg[k] for k in PARTS)
    assert sink.getvalue().hex() == expected


def test_the_documented_construction_reproduces_the_vectors_by_hand(seg):
    """Rebuild the object from the prose of the document alone, with the bare primitive."""
    size = int(seg["segment_size"])
    prefix = bytes.fromhex(seg["nonce_prefix"])
    header = b"CVLT" + bytes([1]) + struct.pack(">I", size) + prefix
    assert header.hex() == seg["header"]
    aad = header + seg["object_id"].encode()
    assert aad.hex() == seg["aad"]
    aead = AESGCM(bytes.fromhex(seg["key"]))
    plaintext = bytes.fromhex(seg["plaintext"])
    pieces = [plaintext[i : i + size] for i in range(0, len(plaintext), size)]
    for i, piece in enumerate(pieces):
        nonce = prefix + struct.pack(">IB", i, i == len(pieces) - 1)
        assert nonce.hex() == seg[f"nonce_{i}"]
        assert aead.encrypt(nonce, piece, aad).hex() == seg[f"segment_{i}"]


def test_the_reader_decrypts_the_documented_object(seg):
    stored = bytes.fromhex("".join(seg[k] for k in PARTS))
    reader = SegmentReader(bytes.fromhex(seg["key"]), seg["object_id"], BytesSource(stored))
    assert reader.plaintext_size == 39
    assert reader.read_all().hex() == seg["plaintext"]
    assert reader.read_all() == b"Lesson 3B: fractions with pizza, 2 Nov."


def test_the_wrap_vector_matches_code_and_construction():
    vec = vectors("wrap")
    kek, data_key = bytes.fromhex(vec["kek"]), bytes.fromhex(vec["data_key"])
    context, nonce = vec["context"].encode(), bytes.fromhex(vec["nonce"])
    kek_id = hashlib.sha256(b"classvault.kek-id\x00" + kek).digest()[:4]
    assert kek_id.hex() == vec["kek_id"] == kek_id_for(kek)
    aad = b"classvault.vault.wrap\x00" + b"\x01" + kek_id + context
    by_hand = b"\x01" + kek_id + nonce + AESGCM(kek).encrypt(nonce, data_key, aad)
    assert by_hand.hex() == vec["wrapped"]
    provider = LocalKeyProvider(kek)
    assert provider.wrap(data_key, context, _nonce=nonce).hex() == vec["wrapped"]
    assert provider.unwrap(bytes.fromhex(vec["wrapped"]), context) == data_key
