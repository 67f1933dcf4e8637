"""HTTP Range handling for the stream (RFC 9110 §14): decrypt only what is asked for."""

import itertools
import re
import time
from collections.abc import Callable, Iterator

from django.http import HttpResponse, StreamingHttpResponse

from classvault.vault.selectors import SegmentReader

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)
# Any position with more digits than this lies beyond every file; int() of a huge string is
# slow (and refused past 4300 digits), so such a number is never converted.
_MAX_DIGITS = 19
_HUGE = 10**_MAX_DIGITS


def _position(digits: str) -> int:
    """The number ``digits`` spell, or _HUGE when it is longer than any file could be."""
    digits = digits.lstrip("0") or "0"
    return _HUGE if len(digits) > _MAX_DIGITS else int(digits)


class Unsatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end inclusive) for a single satisfiable range; None for the whole file.

    Malformed headers and multiple ranges are ignored (the whole file is sent, as RFC 9110
    allows); a syntactically valid range that lies beyond the end raises Unsatisfiable.
    """
    if not header:
        return None
    match = _RANGE.match(header)
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # suffix: the last N bytes
        length = _position(last)
        if length == 0:
            raise Unsatisfiable()
        return max(0, size - length), size - 1
    start = _position(first)
    end = size - 1 if last == "" else min(_position(last), size - 1)
    if last != "" and _position(last) < start:
        return None  # invalid range-spec: ignore the header
    if start >= size:
        raise Unsatisfiable()
    return start, end


# A stream in flight asks again whether it may go on (one query) every few segments or
# seconds, whichever comes first: a withdrawal, a deletion or an ended screening stops a
# playback that already started within about this much video or time.
RECHECK_SEGMENTS = 4
RECHECK_SECONDS = 5.0


def _chunks(
    reader: SegmentReader, start: int, end: int, may_continue: Callable[[], bool] | None
) -> Iterator[bytes]:
    try:
        checked_at, since = time.monotonic(), 0
        for piece in reader.iter_range(start, end):
            if (
                may_continue is not None
                and since
                and (since >= RECHECK_SEGMENTS or time.monotonic() - checked_at >= RECHECK_SECONDS)
            ):
                if not may_continue():
                    return  # the response ends short of its Content-Length: the player stops
                checked_at, since = time.monotonic(), 0
            yield piece
            since += 1
    finally:
        reader.close()


def stream_response(
    reader: SegmentReader,
    range_header: str | None,
    content_type: str,
    may_continue: Callable[[], bool] | None = None,
) -> HttpResponse:
    """Answer with the (Range of the) object; ``may_continue`` is asked now and then while
    the bytes go out, and the stream stops when it says no."""
    size = reader.plaintext_size
    try:
        wanted = parse_range(range_header, size)
    except Unsatisfiable:
        reader.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return _headers(response, content_type)
    if size == 0:
        reader.close()
        return _headers(HttpResponse(b"", content_type=content_type), content_type)
    start, end = wanted if wanted is not None else (0, size - 1)
    chunks = _chunks(reader, start, end, may_continue)
    # Decrypt the first piece before answering: a damaged object fails with an error
    # status instead of a 200 that breaks off.
    first = next(chunks)
    response = StreamingHttpResponse(
        itertools.chain([first], chunks),
        content_type=content_type,
        status=206 if wanted is not None else 200,
    )
    response["Content-Length"] = str(end - start + 1)
    if wanted is not None:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return _headers(response, content_type)


def _headers(response: HttpResponse, content_type: str) -> HttpResponse:
    response["Accept-Ranges"] = "bytes"
    # Never cached anywhere, never offered as a file to save (R10, R11).
    response["Cache-Control"] = "no-store, private"
    response["Content-Type"] = content_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
