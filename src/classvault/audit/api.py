"""The audit log, for the privacy officer: search, paging, and a signed export."""

from datetime import date, timedelta

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from classvault.core import clock
from classvault.core.exceptions import Invalid
from classvault.core.time import end_of_day
from classvault.core.validation import InputSchema
from classvault.people.models import Role
from classvault.people.services import require_role

from .schemas import AuditEventOut, AuditExportOut
from .selectors import AuditQuery
from .services import audit_export, audit_log_read

router = Router(tags=["audit"])

MAX_LIMIT = 10000


class AuditFilter(InputSchema):
    recording: str | None = None
    pupil: str | None = None
    object: str | None = None
    actor: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None
    technical: bool = False
    cursor: int | None = None
    limit: int = 1000

    def query(self, *, cursor: bool = True) -> AuditQuery:
        """The search: every filter narrows; ``action`` may list several, comma-separated;
        ``since`` and ``until`` are days in Europe/Amsterdam, both included."""
        objects = tuple(v.strip() for v in (self.recording, self.pupil, self.object) if v)
        return AuditQuery(
            object_ids=objects,
            actor=(self.actor or "").strip(),
            actions=tuple(a.strip() for a in (self.action or "").split(",") if a.strip()),
            since=end_of_day(self.since - timedelta(days=1)) if self.since else None,
            until=end_of_day(self.until) if self.until else None,
            technical=self.technical,
            after=self.cursor if cursor else None,
        )


@router.get("", response=list[AuditEventOut])
def audit_list(request: HttpRequest, filters: Query[AuditFilter], response: HttpResponse):
    """Events oldest first, narrowed by `recording`, `pupil` (or any `object` id), `actor`,
    `action` and the period `since`..`until`; at most `limit` (1..10000) per call. When more
    match, the `X-Next-Cursor` header (and a `Link: rel="next"`) gives the `cursor` of the
    next page: the events after that entry."""
    require_role(request.auth, Role.PRIVACY_OFFICER)
    if not 1 <= filters.limit <= MAX_LIMIT:
        raise Invalid(_("The limit must lie between 1 and %(max)d.") % {"max": MAX_LIMIT})
    if filters.cursor is not None and filters.cursor < 0:
        raise Invalid(_("The cursor is not one this list gave (X-Next-Cursor)."))
    events = audit_log_read(
        actor=request.auth,
        object_id=None,
        limit=filters.limit + 1,
        now=clock.now(),
        query=filters.query(),
    )
    if len(events) > filters.limit:
        events = events[: filters.limit]
        cursor = events[-1].seq
        params = request.GET.copy()
        params["cursor"] = str(cursor)
        response["X-Next-Cursor"] = str(cursor)
        response["Link"] = f'<{request.path}?{params.urlencode()}>; rel="next"'
    return events


@router.get("/export", response=AuditExportOut)
def audit_export_get(request: HttpRequest, filters: Query[AuditFilter]):
    """The selection (the same filters, no paging) as one document signed under the audit
    key: `classvault audit verify --export FILE` checks it. The export is logged."""
    require_role(request.auth, Role.PRIVACY_OFFICER)
    return audit_export(actor=request.auth, query=filters.query(cursor=False), now=clock.now())
