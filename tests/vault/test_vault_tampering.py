"""Every kind of tampering with a stored object is detected, never decrypted."""

import io
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classvault.vault.exceptions import VaultIntegrityError
from classvault.vault.segments import (
    HEADER_SIZE,
    TAG_SIZE,
    BytesSource,
    SegmentReader,
    SegmentWriter,
)

SEG = 64
FULL = SEG + TAG_SIZE
KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
OID = "rec-1/original"
PLAINTEXT = os.urandom(3 * SEG + 10)  # four segments, the last one short


def encrypt(plaintext: bytes = PLAINTEXT, key: bytes = KEY, object_id: str = OID) -> bytes:
    sink = io.BytesIO()
    with SegmentWriter(key, object_id, sink, segment_size=SEG) as writer:
        writer.write(plaintext)
    return sink.getvalue()


def read_everything(ciphertext: bytes, key: bytes = KEY, object_id: str = OID) -> bytes:
    return SegmentReader(key, object_id, BytesSource(ciphertext)).read_all()


def segment(ciphertext: bytes, index: int) -> bytes:
    start = HEADER_SIZE + index * FULL
    return ciphertext[start : start + FULL]


def flip(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed)


@pytest.mark.parametrize("position", range(HEADER_SIZE))
def test_a_flipped_bit_in_the_header_is_detected(position):
    with pytest.raises(VaultIntegrityError):
        read_everything(flip(encrypt(), position))


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=HEADER_SIZE, max_value=len(PLAINTEXT) + 4 * TAG_SIZE + 15))
def test_a_flipped_bit_anywhere_in_ciphertext_or_tag_is_detected(position):
    with pytest.raises(VaultIntegrityError):
        read_everything(flip(encrypt(), position))


def test_a_flipped_bit_in_a_tag_fails_even_a_range_read_of_that_segment():
    ciphertext = flip(encrypt(), HEADER_SIZE + FULL + SEG + 3)  # in segment 1's tag
    reader = SegmentReader(KEY, OID, BytesSource(ciphertext))
    assert reader.read_range(0, SEG - 1) == PLAINTEXT[:SEG]  # untouched segment 0 reads
    with pytest.raises(VaultIntegrityError):
        reader.read_range(SEG, SEG)


def test_dropping_the_last_segment_is_detected_even_when_reading_the_start():
    truncated = encrypt()[: HEADER_SIZE + 3 * FULL]
    reader = SegmentReader(KEY, OID, BytesSource(truncated))
    with pytest.raises(VaultIntegrityError):
        _ = reader.plaintext_size
    with pytest.raises(VaultIntegrityError):
        reader.read_range(0, 10)


@pytest.mark.parametrize("cut", [1, 5, TAG_SIZE, TAG_SIZE + 1, FULL - 1, 2 * FULL + 7])
def test_cutting_the_file_anywhere_is_detected(cut):
    ciphertext = encrypt()
    with pytest.raises(VaultIntegrityError):
        read_everything(ciphertext[:-cut])


@pytest.mark.parametrize("length", [0, 3, HEADER_SIZE, HEADER_SIZE + TAG_SIZE - 1])
def test_a_stub_shorter_than_one_segment_is_detected(length):
    with pytest.raises(VaultIntegrityError):
        read_everything(encrypt()[:length])


def test_an_appended_segment_is_detected():
    ciphertext = encrypt()
    with pytest.raises(VaultIntegrityError):
        read_everything(ciphertext + segment(ciphertext, 1))


def test_reordered_segments_are_detected():
    ciphertext = encrypt()
    swapped = ciphertext[:HEADER_SIZE] + segment(ciphertext, 1) + segment(ciphertext, 0)
    swapped += ciphertext[HEADER_SIZE + 2 * FULL :]
    with pytest.raises(VaultIntegrityError):
        read_everything(swapped)


def test_a_duplicated_segment_in_place_of_another_is_detected():
    ciphertext = encrypt()
    doubled = ciphertext[:HEADER_SIZE] + segment(ciphertext, 0) * 2
    doubled += ciphertext[HEADER_SIZE + 2 * FULL :]
    with pytest.raises(VaultIntegrityError):
        read_everything(doubled)


@pytest.mark.parametrize("other_key", [KEY, OTHER_KEY], ids=["same-key", "other-key"])
@pytest.mark.parametrize("other_oid", [OID, "rec-2/original"], ids=["same-id", "other-id"])
def test_a_segment_transplanted_from_another_object_is_detected(other_key, other_oid):
    ciphertext = encrypt()
    donor = encrypt(key=other_key, object_id=other_oid)  # same plaintext, same position
    patched = ciphertext[: HEADER_SIZE + FULL] + segment(donor, 1)
    patched += ciphertext[HEADER_SIZE + 2 * FULL :]
    reader = SegmentReader(KEY, OID, BytesSource(patched))
    with pytest.raises(VaultIntegrityError):
        reader.read_range(SEG, 2 * SEG - 1)


def test_a_whole_object_swapped_in_under_another_id_is_detected():
    rendition = encrypt(object_id="rec-1/rendition")
    with pytest.raises(VaultIntegrityError):
        read_everything(rendition, object_id=OID)


def test_the_wrong_key_is_detected():
    with pytest.raises(VaultIntegrityError):
        read_everything(encrypt(), key=OTHER_KEY)


def test_a_forged_header_with_a_huge_segment_size_is_refused_before_reading():
    ciphertext = bytearray(encrypt())
    ciphertext[5:9] = (0xFFFFFFFF).to_bytes(4, "big")
    with pytest.raises(VaultIntegrityError, match="segment size"):
        SegmentReader(KEY, OID, BytesSource(bytes(ciphertext)))


def test_a_source_that_returns_short_reads_is_an_integrity_error():
    class Shrinking(BytesSource):
        """Serves the header, then one byte less than asked: a blob swapped mid-read."""

        def read(self, offset: int, length: int) -> bytes:
            data = super().read(offset, length)
            return data[:-1] if offset else data

    with pytest.raises(VaultIntegrityError):
        SegmentReader(KEY, OID, Shrinking(encrypt())).read_all()
