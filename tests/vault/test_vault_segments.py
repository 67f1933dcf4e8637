"""Round trips and random-access reads of the segment format."""

import io
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classvault.vault.segments import (
    HEADER_SIZE,
    TAG_SIZE,
    BytesSource,
    SegmentReader,
    SegmentWriter,
    ciphertext_size_for,
    encrypt_chunks,
    plaintext_size_for,
)

SEG = 64
KEY = bytes(range(32))
OID = "rec-1/original"
# The autouse settings fixture of the root conftest does not matter to these tests.
quick = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def encrypt(plaintext: bytes, chunk_sizes=None, segment_size: int = SEG) -> bytes:
    sink = io.BytesIO()
    writer = SegmentWriter(KEY, OID, sink, segment_size=segment_size)
    if chunk_sizes is None:
        writer.write(plaintext)
    else:
        view, sizes = memoryview(plaintext), iter(chunk_sizes)
        while view:
            size = next(sizes, len(view)) or 1
            writer.write(view[:size])
            view = view[size:]
    writer.close()
    assert writer.plaintext_size == len(plaintext)
    assert writer.ciphertext_size == len(sink.getvalue())
    return sink.getvalue()


def reader(ciphertext: bytes, object_id: str = OID, key: bytes = KEY) -> SegmentReader:
    return SegmentReader(key, object_id, BytesSource(ciphertext))


@pytest.mark.parametrize("size", [0, 1, SEG - 1, SEG, SEG + 1, 2 * SEG, 2 * SEG + 1, 5 * SEG + 17])
def test_it_round_trips_sizes_around_segment_boundaries(size):
    plaintext = os.urandom(size)
    ciphertext = encrypt(plaintext)
    assert len(ciphertext) == ciphertext_size_for(size, SEG)
    assert plaintext_size_for(len(ciphertext), SEG) == size
    with reader(ciphertext) as r:
        assert r.plaintext_size == size
        assert r.read_all() == plaintext


def test_an_empty_plaintext_is_one_final_segment():
    ciphertext = encrypt(b"")
    assert len(ciphertext) == HEADER_SIZE + TAG_SIZE
    r = reader(ciphertext)
    assert r.segment_count == 1
    assert list(r.iter_all()) == []


def test_exact_multiple_has_no_empty_trailing_segment():
    r = reader(encrypt(bytes(3 * SEG)))
    assert r.segment_count == 3


def test_the_default_segment_size_is_one_mebibyte_and_stored_in_the_header():
    ciphertext = b"".join(encrypt_chunks([b"x" * 10], key=KEY, object_id=OID))
    assert ciphertext[5:9] == (1 << 20).to_bytes(4, "big")
    assert reader(ciphertext).segment_size == 1 << 20


@quick
@given(
    plaintext=st.binary(max_size=6 * SEG),
    chunks=st.lists(st.integers(min_value=0, max_value=3 * SEG), max_size=30),
    segment_size=st.integers(min_value=1, max_value=2 * SEG),
)
def test_any_chunking_of_writes_gives_the_same_plaintext(plaintext, chunks, segment_size):
    ciphertext = encrypt(plaintext, chunks, segment_size=segment_size)
    assert len(ciphertext) == ciphertext_size_for(len(plaintext), segment_size)
    assert reader(ciphertext).read_all() == plaintext


@quick
@given(data=st.data(), plaintext=st.binary(min_size=1, max_size=8 * SEG))
def test_any_range_equals_the_plaintext_slice(data, plaintext):
    r = reader(encrypt(plaintext))
    start = data.draw(st.integers(min_value=0, max_value=len(plaintext) - 1))
    end = data.draw(st.integers(min_value=start, max_value=len(plaintext) - 1))
    assert r.read_range(start, end) == plaintext[start : end + 1]


class CountingSource(BytesSource):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[tuple[int, int]] = []

    def read(self, offset: int, length: int) -> bytes:
        self.reads.append((offset, length))
        return super().read(offset, length)


def test_a_range_reads_only_the_segments_that_cover_it():
    plaintext = os.urandom(10 * SEG)
    source = CountingSource(encrypt(plaintext))
    r = SegmentReader(KEY, OID, source)
    assert r.plaintext_size == 10 * SEG  # authenticates the last segment, once
    source.reads.clear()
    assert r.read_range(3 * SEG + 5, 4 * SEG + 1) == plaintext[3 * SEG + 5 : 4 * SEG + 2]
    full = SEG + TAG_SIZE
    # Segments 3 and 4 only, read in order (the first one alone, so its bytes go out first).
    assert source.reads == [(HEADER_SIZE + 3 * full, full), (HEADER_SIZE + 4 * full, full)]


def test_iter_range_yields_one_piece_per_segment():
    plaintext = os.urandom(4 * SEG)
    pieces = list(reader(encrypt(plaintext)).iter_range(10, 3 * SEG + 9))
    assert [len(p) for p in pieces] == [SEG - 10, SEG, SEG, 10]


@pytest.mark.parametrize("start,end", [(-1, 3), (5, 4), (0, 100), (100, 100)])
def test_a_range_outside_the_object_is_refused(start, end):
    with pytest.raises(ValueError):
        reader(encrypt(bytes(100))).read_range(start, end)


def test_reader_and_writer_never_show_the_key():
    sink = io.BytesIO()
    writer = SegmentWriter(KEY, OID, sink, segment_size=SEG)
    writer.close()
    for text in (repr(writer), repr(reader(sink.getvalue()))):
        assert KEY.hex() not in text and repr(KEY) not in text


def test_leaving_a_with_block_by_an_exception_does_not_finalise():
    sink = io.BytesIO()
    with pytest.raises(RuntimeError):
        with SegmentWriter(KEY, OID, sink, segment_size=SEG) as writer:
            writer.write(bytes(SEG + 5))
            raise RuntimeError("upload broke off")
    assert len(sink.getvalue()) == HEADER_SIZE + SEG + TAG_SIZE  # no final segment


def test_keys_and_parameters_are_checked():
    with pytest.raises(ValueError):
        SegmentWriter(b"short", OID, io.BytesIO())
    with pytest.raises(ValueError):
        SegmentWriter(KEY, "", io.BytesIO())
    with pytest.raises(ValueError):
        SegmentWriter(KEY, OID, io.BytesIO(), segment_size=0)
    with pytest.raises(ValueError):
        SegmentWriter(KEY, OID, io.BytesIO(), nonce_prefix=b"123")
