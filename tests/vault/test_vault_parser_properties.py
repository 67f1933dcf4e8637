"""Property tests on the vault format parser: whatever bytes it is handed (random headers,
random objects, mutated objects), it raises the vault's own error or returns the exact
original plaintext; never another exception, never wrong bytes.

Deterministic (derandomized) and bounded, so `make test` stays fast.
"""

import io
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classvault.vault.exceptions import VaultIntegrityError
from classvault.vault.segments import (
    HEADER_SIZE,
    MAGIC,
    MAX_SEGMENT_SIZE,
    VERSION,
    BytesSource,
    Header,
    SegmentReader,
    SegmentWriter,
)

SEG = 64
KEY = bytes(range(32))
OID = "rec-7/original"
PLAINTEXT = bytes((i * 7 + 3) % 256 for i in range(4 * SEG + 21))  # five segments

fuzz = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def encrypt(plaintext: bytes = PLAINTEXT) -> bytes:
    sink = io.BytesIO()
    with SegmentWriter(KEY, OID, sink, segment_size=SEG) as writer:
        writer.write(plaintext)
    return sink.getvalue()


ORIGINAL = encrypt()


def outcome(ciphertext: bytes, start: int | None = None, end: int | None = None) -> bytes | None:
    """The plaintext read, or None when the vault refused it with its own error."""
    try:
        reader = SegmentReader(KEY, OID, BytesSource(ciphertext))
        if start is None:
            return reader.read_all()
        size = reader.plaintext_size
        if size == 0:
            return reader.read_all()
        # Ask only for what the (possibly forged) object claims to hold: a range outside it
        # is the caller's mistake (ValueError), not a parse result.
        first = min(start, size - 1)
        return reader.read_range(first, min(max(end, first), size - 1))
    except VaultIntegrityError:
        return None


@fuzz
@given(data=st.binary(min_size=0, max_size=64))
def test_any_bytes_as_a_header_parse_or_raise_the_vaults_error(data):
    try:
        header = Header.parse(data)
    except VaultIntegrityError:
        return
    assert len(data) == HEADER_SIZE and data[:4] == MAGIC and data[4] == VERSION
    assert 1 <= header.segment_size <= MAX_SEGMENT_SIZE
    assert header.to_bytes() == data


@fuzz
@given(
    segment_size=st.integers(min_value=0, max_value=2**32 - 1),
    prefix=st.binary(min_size=7, max_size=7),
    body=st.binary(max_size=600),
)
def test_a_well_formed_header_over_random_bytes_never_decrypts(segment_size, prefix, body):
    forged = struct.pack(">4sBI7s", MAGIC, VERSION, segment_size, prefix) + body
    assert outcome(forged) is None


@fuzz
@given(data=st.binary(max_size=800))
def test_random_bytes_are_never_an_object(data):
    assert outcome(data) is None


@st.composite
def mutated(draw) -> bytes:
    """The original object with one to three random edits: overwrite, insert or delete."""
    data = bytearray(ORIGINAL)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        kind = draw(st.sampled_from(["overwrite", "insert", "delete"]))
        at = draw(st.integers(min_value=0, max_value=max(0, len(data) - 1)))
        if kind == "overwrite":
            new = draw(st.binary(min_size=1, max_size=40))
            data[at : at + len(new)] = new
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=2 * (SEG + 16)))
        else:
            del data[at : at + draw(st.integers(min_value=1, max_value=2 * (SEG + 16)))]
    return bytes(data)


@fuzz
@given(ciphertext=mutated())
def test_a_mutated_object_is_refused_whole(ciphertext):
    result = outcome(ciphertext)
    assert result is None or (ciphertext == ORIGINAL and result == PLAINTEXT)


@fuzz
@given(
    ciphertext=mutated(),
    start=st.integers(min_value=0, max_value=len(PLAINTEXT) - 1),
    length=st.integers(min_value=1, max_value=3 * SEG),
)
def test_a_range_of_a_mutated_object_is_refused_or_exactly_the_original(ciphertext, start, length):
    """A range that touches only untouched segments may still be served, but only ever the
    original bytes of that range."""
    end = min(start + length - 1, len(PLAINTEXT) - 1)
    result = outcome(ciphertext, start, end)
    if result is not None:
        reader = SegmentReader(KEY, OID, BytesSource(ciphertext))
        first = min(start, reader.plaintext_size - 1)
        assert result == PLAINTEXT[first : first + len(result)]
