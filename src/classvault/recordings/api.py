"""Recordings: upload, list, view, stream, delete (shares and feedback: sharing/api.py)."""

import json
import re
import uuid
from datetime import datetime, time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from classvault.core import clock
from classvault.core.exceptions import Conflict, Invalid
from classvault.core.paging import PAGE_DEFAULT, PAGE_MAX, page_response
from classvault.core.time import AMSTERDAM
from classvault.core.validation import InputSchema, check_instant, refuse_nul
from classvault.people.auth import BearerToken
from classvault.retention import services as retention_services
from classvault.sharing.selectors import (
    recording_detail,
    recording_get_visible,
    recordings_page,
    recordings_visible,
)
from classvault.vault.purposes import Purpose
from classvault.vault.selectors import vault_open

from . import quota, resumable, selectors, services
from .models import RecordingStatus
from .schemas import (
    RecordingCreated,
    RecordingDetail,
    RecordingItem,
)
from .stated_purpose import purpose_remembered
from .streaming import Unsatisfiable, parse_range, stream_response
from .uploads import UPLOAD_FIELD, EncryptingUploadHandler

router = Router(tags=["recordings"])

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "title", "recorded_at", "pupils"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "title": {"type": "string"},
                        "recorded_at": {"type": "string", "format": "date-time"},
                        "pupils": {
                            "type": "string",
                            "description": "JSON array of pupil ids present",
                        },
                        "attest_out_of_view": {
                            "type": "string",
                            "description": "JSON array of pupil ids kept out of view and sound",
                        },
                    },
                }
            }
        },
    }
}


def _ids(raw: str | None, field: str) -> list[str]:
    if raw is None or raw.strip() == "":
        return []
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):  # RecursionError: nested ever deeper
        raise Invalid(
            _("%(field)s must be a JSON array of pupil ids.") % {"field": field}
        ) from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(_("%(field)s must be a JSON array of pupil ids.") % {"field": field})
    refuse_nul(value)  # the escapes \u0000 and \ud800 decode to what the form check missed
    return value


def _instant(raw: str | None) -> datetime:
    """An ISO-8601 instant; a date alone means midnight in Amsterdam; no offset: Amsterdam."""
    raw = (raw or "").strip()
    try:
        parsed = parse_datetime(raw)
        if parsed is None and (day := parse_date(raw)) is not None:
            parsed = datetime.combine(day, time(0))
    except ValueError:
        parsed = None
    if parsed is None:
        raise Invalid(_("recorded_at must be a date (YYYY-MM-DD) or an ISO-8601 instant."))
    return check_instant(parsed if parsed.tzinfo else parsed.replace(tzinfo=AMSTERDAM))


# The form fields and multipart boundaries around the file take far less than this.
MULTIPART_SLACK = 1 << 20


def _too_large_response() -> HttpResponse:
    limit = settings.CLASSVAULT_MAX_UPLOAD_BYTES // (1 << 20)
    return HttpResponse(
        json.dumps(
            {"detail": _("The file is larger than %(mb)s MiB; nothing was kept.") % {"mb": limit}}
        ),
        status=413,
        content_type="application/json",
    )


@router.post(
    "/recordings", auth=BearerToken(), response={201: RecordingCreated}, openapi_extra=UPLOAD_BODY
)
def recording_create(request: HttpRequest):
    """Upload a recording (multipart). It is encrypted as it arrives; see the contract."""
    now = clock.now()
    services.recording_upload_allowed(actor=request.auth)  # before reading any byte
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    if announced > settings.CLASSVAULT_MAX_UPLOAD_BYTES + MULTIPART_SLACK:
        # Refused on its announced length, before a byte of the body is read.
        return _too_large_response()
    # Her storage quota, on the announced length (less what the form fields may take) before
    # the body is read; without a length, in the transaction that creates the recording.
    quota.quota_check(owner=request.auth, adding=max(0, announced - MULTIPART_SLACK), now=now)
    recording_id = str(uuid.uuid4())
    handler = EncryptingUploadHandler(
        request, object_id=recording_id, now=now, max_bytes=settings.CLASSVAULT_MAX_UPLOAD_BYTES
    )
    request.upload_handlers = [handler]
    try:
        try:
            files, form = request.FILES, request.POST
        except MultiPartParserError:
            raise Invalid(
                _("The upload was malformed or cut off; nothing was kept. Try again.")
            ) from None
        # The input guard cannot read a multipart body (core/validation.py): the fields and
        # the file's name are checked here.
        refuse_nul(form)
        refuse_nul([f.name for _field, sent in files.lists() for f in sent])
        if handler.too_large:
            return _too_large_response()
        recording = services.recording_create(
            actor=request.auth,
            recording_id=recording_id,
            upload=files.get(UPLOAD_FIELD),
            title=form.get("title", ""),
            recorded_at=_instant(form.get("recorded_at")),
            pupil_ids=_ids(form.get("pupils"), "pupils"),
            attested_ids=_ids(form.get("attest_out_of_view"), "attest_out_of_view"),
            now=now,
        )
    except BaseException:
        # Whatever went wrong after the bytes arrived, the encrypted upload goes: a refused
        # recording (possibly of pupils without consent) is never kept.
        handler.abort()
        services.recording_upload_discard(recording_id=recording_id, actor=request.auth, now=now)
        raise
    return Status(
        201,
        {"id": str(recording.pk), "status": recording.status, "expires_at": recording.expires_at},
    )


class UploadStart(InputSchema):
    """Start an upload. With ``recorded_at`` (and the other details) every check that needs
    no video is made now, before a byte is sent; without them, when completing. A live
    recording with a ``title`` is recorded from now on (``recorded_at`` may be left out)."""

    size: int | None = None
    filename: str = ""
    kind: str = "file"
    fingerprint: str = ""
    title: str | None = None
    recorded_at: str | None = None
    pupils: list[str] = []
    attest_out_of_view: list[str] = []
    duration_seconds: float | None = None


class UploadState(Schema):
    id: str
    kind: str
    size: int | None
    chunk_size: int
    received: int
    finished: bool
    filename: str
    fingerprint: str
    title: str
    recorded_at: datetime | None
    created_at: datetime
    expires_at: datetime


class UploadComplete(InputSchema):
    """The details, when not given at the start (or to correct them)."""

    title: str | None = None
    recorded_at: str | None = None
    pupils: list[str] | None = None
    attest_out_of_view: list[str] | None = None


def _upload_state(upload) -> dict:
    return {
        "id": str(upload.pk),
        "kind": upload.kind,
        "size": upload.size,
        "chunk_size": upload.chunk_size,
        "received": upload.received,
        "finished": upload.finished,
        "filename": upload.filename,
        "fingerprint": upload.fingerprint,
        "title": upload.title,
        "recorded_at": upload.recorded_at,
        "created_at": upload.created_at,
        "expires_at": upload.expires_at,
    }


@router.post("/uploads", response={200: UploadState, 201: UploadState}, tags=["resumable uploads"])
def upload_start(request: HttpRequest, payload: UploadStart):
    """Start a resumable upload (or a recording in the browser, ``kind: live``); send the
    chunks with PUT, then complete it. The same file (``fingerprint``) continues its open
    upload: 200 with ``received``. Refused before any byte: 403, 409, 413, 422."""
    upload, new = resumable.upload_start(
        actor=request.auth,
        size=payload.size,
        filename=payload.filename,
        kind=payload.kind,
        fingerprint=payload.fingerprint,
        title=payload.title,
        recorded_at=None if payload.recorded_at is None else _instant(payload.recorded_at),
        pupil_ids=payload.pupils,
        attested_ids=payload.attest_out_of_view,
        duration_seconds=payload.duration_seconds,
        now=clock.now(),
    )
    return Status(201 if new else 200, _upload_state(upload))


@router.get("/uploads", response=list[UploadState], tags=["resumable uploads"])
def upload_list(request: HttpRequest):
    """The caller's uploads and browser recordings that were started and not completed."""
    services.recording_upload_allowed(actor=request.auth)
    return [_upload_state(u) for u in resumable.uploads_open(actor=request.auth, now=clock.now())]


@router.get("/uploads/{upload_id}", response=UploadState, tags=["resumable uploads"])
def upload_status(request: HttpRequest, upload_id: str):
    """How far the upload got: resume from ``received``."""
    return _upload_state(
        resumable.upload_get(actor=request.auth, upload_id=upload_id, now=clock.now())
    )


CONTENT_RANGE = re.compile(r"bytes (?:(\d{1,19})-(\d{1,19})|\*)/(\d{1,19}|\*)")


@router.put(
    "/uploads/{upload_id}",
    response=UploadState,
    tags=["resumable uploads"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
def upload_chunk(request: HttpRequest, upload_id: str):
    """One chunk as the raw body, placed by ``Content-Range: bytes START-END/SIZE``.

    A live recording sends ``bytes START-END/*`` while it runs, and its last chunk with its
    total size (``bytes START-END/SIZE``, or ``bytes */SIZE`` with no body)."""
    now = clock.now()
    upload = resumable.upload_get(actor=request.auth, upload_id=upload_id, now=now)
    match = CONTENT_RANGE.fullmatch(request.headers.get("Content-Range", "").strip())
    if match is None:
        raise Invalid(_("Send Content-Range: bytes START-END/SIZE with each chunk."))
    total = None if match[3] == "*" else int(match[3])
    if match[1] is None:  # "bytes */SIZE": the end of a live recording, no body
        start, length = upload.received, 0
        if total is None or total != upload.received:
            raise Invalid(
                _("Send Content-Range: bytes START-END/SIZE with each chunk."),
                received=upload.received,
            )
    else:
        start, end = int(match[1]), int(match[2])
        length = end - start + 1
        if end < start or (total is not None and end >= total):
            raise Invalid(_("Send Content-Range: bytes START-END/SIZE with each chunk."))
    if upload.kind == "file" and total != upload.size:
        raise Invalid(_("Send Content-Range: bytes START-END/SIZE with each chunk."))
    final = total is not None and start + length == total

    def pieces():
        while chunk := request.read(1 << 20):
            yield chunk

    resumable.upload_put_chunk(
        upload=upload, start=start, pieces=pieces(), length=length, final=final, now=now
    )
    return _upload_state(upload)


@router.delete("/uploads/{upload_id}", response={204: None}, tags=["resumable uploads"])
def upload_discard(request: HttpRequest, upload_id: str):
    """Throw away an upload or a browser recording that was not completed: its received
    bytes are shredded."""
    now = clock.now()
    upload = resumable.upload_get(actor=request.auth, upload_id=upload_id, now=now)
    resumable.upload_discard(upload=upload, actor=request.auth, now=now)
    return Status(204, None)


@router.post(
    "/uploads/{upload_id}/complete", response={201: RecordingCreated}, tags=["resumable uploads"]
)
def upload_complete(request: HttpRequest, upload_id: str, payload: UploadComplete | None = None):
    """Turn a fully received upload (or what a browser recording sent) into a recording;
    same checks as POST /recordings. The body may be left out when the start had the
    details."""
    now = clock.now()
    payload = payload or UploadComplete()
    upload = resumable.upload_get(actor=request.auth, upload_id=upload_id, now=now)
    recording = resumable.upload_complete(
        actor=request.auth,
        upload=upload,
        title=payload.title,
        recorded_at=None if payload.recorded_at is None else _instant(payload.recorded_at),
        pupil_ids=payload.pupils,
        attested_ids=payload.attest_out_of_view,
        now=now,
    )
    return Status(
        201,
        {"id": str(recording.pk), "status": recording.status, "expires_at": recording.expires_at},
    )


PAGE_HEADERS = {
    "responses": {
        200: {
            "headers": {
                "X-Next-Cursor": {
                    "description": "the cursor of the next page; absent on the last page",
                    "schema": {"type": "string"},
                },
                "Link": {
                    "description": 'the next page: <...?cursor=...>; rel="next"',
                    "schema": {"type": "string"},
                },
            }
        }
    }
}


@router.get("/recordings", response=list[RecordingItem], openapi_extra=PAGE_HEADERS)
def recording_list(
    request: HttpRequest,
    limit: int | None = Query(None, description=f"1 to {PAGE_MAX}; default {PAGE_DEFAULT}"),
    cursor: str | None = Query(None, description="the X-Next-Cursor of the previous page"),
):
    """The recordings the caller may see, and only those: newest first, one page at a time.
    When there is more, the next page's cursor is in ``X-Next-Cursor`` and ``Link``."""
    page, after = recordings_page(actor=request.auth, now=clock.now(), limit=limit, cursor=cursor)
    return page_response(request, page, after)


@router.get("/recordings/{recording_id}", response=RecordingDetail, exclude_none=True)
def recording_get(request: HttpRequest, recording_id: str, purpose: str | None = None):
    now = clock.now()
    recording = recording_get_visible(actor=request.auth, recording_id=recording_id, now=now)
    services.recording_access_record(
        actor=request.auth,
        recording=recording,
        what="view",
        now=now,
        purpose=selectors.view_purpose(
            actor=request.auth,
            recording=recording,
            asked=_asked_purpose(request, recording, purpose, now),
        ),
    )
    return recording_detail(actor=request.auth, recording=recording)


def _asked_purpose(request: HttpRequest, recording, asked: str | None, now: datetime):
    """``?purpose=`` when given; for the web player (session, no bearer token) the purpose
    its user stated in the form, kept in her session so it never appears in a URL."""
    if asked is not None or hasattr(request, "api_token"):
        return asked
    return purpose_remembered(session=request.session, recording_id=str(recording.pk), now=now)


def _playable(recording) -> None:
    if recording.status == RecordingStatus.BLOCKED:
        raise Conflict(
            _(
                "This recording is blocked: a pupil withdrew consent. It can be "
                "watched again once it is redacted."
            ),
            status=recording.status,
        )
    if recording.status != RecordingStatus.READY:
        raise Conflict(
            _("This recording is not ready to play (status: %(status)s).")
            % {"status": recording.status},
            status=recording.status,
        )


@router.get(
    "/recordings/{recording_id}/stream",
    response={200: None, 206: None, 409: dict[str, str], 416: dict[str, str]},
)
def recording_stream(request: HttpRequest, recording_id: str, purpose: str | None = None):
    """The playable MP4; honours Range. Never a download."""
    now = clock.now()
    recording = recording_get_visible(actor=request.auth, recording_id=recording_id, now=now)
    _playable(recording)
    purpose = selectors.view_purpose(
        actor=request.auth,
        recording=recording,
        asked=_asked_purpose(request, recording, purpose, now),
    )
    range_header = request.headers.get("Range")
    reader = vault_open(object_id=str(recording.pk), purpose=Purpose.RENDITION)
    try:
        wanted = parse_range(range_header, reader.plaintext_size)
    except Unsatisfiable:
        wanted = None  # answered 416 below: nothing is served
    else:
        services.recording_stream_audit(
            actor=request.auth,
            recording=recording,
            from_start=wanted is None or wanted[0] == 0,
            purpose=purpose,
            now=now,
        )

    def may_continue() -> bool:
        # Still visible to this person, and neither blocked by a withdrawal nor deleted.
        return (
            recordings_visible(actor=request.auth, now=clock.now())
            .filter(pk=recording.pk, status=RecordingStatus.READY)
            .exists()
        )

    return stream_response(reader, range_header, "video/mp4", may_continue)


@router.get("/recordings/{recording_id}/poster", response={200: None, 409: dict[str, str]})
def recording_poster(request: HttpRequest, recording_id: str, purpose: str | None = None):
    """A still from the recording for the player; same visibility, blocking and audit."""
    now = clock.now()
    recording = recording_get_visible(actor=request.auth, recording_id=recording_id, now=now)
    _playable(recording)
    purpose = selectors.view_purpose(
        actor=request.auth,
        recording=recording,
        asked=_asked_purpose(request, recording, purpose, now),
    )
    reader = vault_open(object_id=str(recording.pk), purpose=Purpose.POSTER)
    services.recording_access_record(
        actor=request.auth, recording=recording, what="poster", purpose=purpose, now=now
    )
    return stream_response(reader, None, "image/jpeg")


@router.delete("/recordings/{recording_id}", response={204: None})
def recording_delete(request: HttpRequest, recording_id: str):
    now = clock.now()
    recording = recording_get_visible(actor=request.auth, recording_id=recording_id, now=now)
    retention_services.recording_delete(actor=request.auth, recording=recording, now=now)
    return Status(204, None)
