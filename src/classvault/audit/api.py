"""The audit log, for the privacy officer."""

from django.http import HttpRequest
from ninja import Query, Router

from classvault.core import clock
from classvault.core.validation import InputSchema
from classvault.people.models import Role
from classvault.people.services import require_role

from .schemas import AuditEventOut
from .services import audit_log_read

router = Router(tags=["audit"])


class AuditFilter(InputSchema):
    recording: str | None = None
    object: str | None = None
    limit: int = 1000


@router.get("", response=list[AuditEventOut])
def audit_list(request: HttpRequest, filters: Query[AuditFilter]):
    """Events in order; `recording` (or any `object` id) narrows them to one object."""
    require_role(request.auth, Role.PRIVACY_OFFICER)
    return audit_log_read(
        actor=request.auth,
        object_id=filters.recording or filters.object,
        limit=max(1, min(filters.limit, 10000)),
        now=clock.now(),
    )
