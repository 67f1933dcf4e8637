"""Reads about data-subject requests: one request, lists, the overdue ones (privacy officer)."""

import uuid
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from classvault.consent.models import Pupil
from classvault.core.exceptions import Invalid, NotVisible
from classvault.core.time import today_in_amsterdam
from classvault.people.models import Role, User
from classvault.people.services import require_role
from classvault.recordings.models import Recording, RecordingPupil
from classvault.sharing.selectors import recording_get_visible, recordings_visible

from .models import RUNNING, DataSubjectRequest, RequestStatus


def request_get(*, actor: User, request_id: str | uuid.UUID) -> DataSubjectRequest:
    """The request, for the privacy officer: 403 for every other role, 404 when missing."""
    require_role(actor, Role.PRIVACY_OFFICER)
    try:
        pk = uuid.UUID(str(request_id))
    except ValueError:
        raise NotVisible(_("No such request.")) from None
    request = (
        DataSubjectRequest.objects.select_related("pupil", "pupil__school", "closed_by")
        .filter(pk=pk)
        .first()
    )
    if request is None:
        raise NotVisible(_("No such request."))
    return request


def requests_list(*, actor: User, status: str | None = None) -> QuerySet[DataSubjectRequest]:
    """Requests, nearest deadline first; ``status`` one of the statuses, or ``overdue``."""
    require_role(actor, Role.PRIVACY_OFFICER)
    requests = DataSubjectRequest.objects.select_related("pupil", "pupil__school")
    if status:
        if status not in RequestStatus.values:
            raise Invalid(
                _("The status must be one of: %(statuses)s.")
                % {"statuses": ", ".join(RequestStatus.values)}
            )
        requests = requests.filter(status=status)
    return requests.order_by("due_on", "registered_at")


def requests_overdue(*, actor: User, now: datetime) -> QuerySet[DataSubjectRequest]:
    """Running requests whose deadline has passed (the day after ``due_on`` has begun)."""
    require_role(actor, Role.PRIVACY_OFFICER)
    return (
        DataSubjectRequest.objects.select_related("pupil", "pupil__school")
        .filter(status__in=RUNNING, due_on__lt=today_in_amsterdam(now))
        .order_by("due_on")
    )


def is_overdue(request: DataSubjectRequest, now: datetime) -> bool:
    return request.status in RUNNING and request.due_on < today_in_amsterdam(now)


def request_item(request: DataSubjectRequest, now: datetime) -> dict[str, Any]:
    """The API's shape of a request."""
    return {
        "id": request.pk,
        "pupil": request.pupil_id,
        "kind": request.kind,
        "requested_by": request.requested_by,
        "received_on": request.received_on,
        "details": request.details,
        "status": request.status,
        "due_on": request.due_on,
        "overdue": is_overdue(request, now),
        "extension_months": request.extension_months,
        "extension_reason": request.extension_reason,
        "outcome": request.outcome,
        "registered_at": request.registered_at,
        "closed_at": request.closed_at,
    }


def request_recording_get(
    *, actor: User, request: DataSubjectRequest, recording_id: str, now: datetime
) -> Recording:
    """A recording the request's pupil takes part in (not attested out of view), through
    THE visibility rule (the privacy officer sees every living recording): 404 otherwise."""
    recording = recording_get_visible(actor=actor, recording_id=recording_id, now=now)
    if not RecordingPupil.objects.filter(
        recording=recording, pupil_id=request.pupil_id, attested_out_of_view=False
    ).exists():
        raise NotVisible(_("No such recording."))
    return recording


def pupils_for_requests(*, actor: User) -> QuerySet[Pupil]:
    """Every pupil a request can be about (the privacy officer's whole institute), by
    school and name; pupils whose details were erased are left out."""
    require_role(actor, Role.PRIVACY_OFFICER)
    return (
        Pupil.objects.select_related("school")
        .exclude(external_id__startswith="erased-")
        .order_by("school__name", "full_name", "external_id")
    )


def request_recordings(
    *, actor: User, request: DataSubjectRequest, now: datetime
) -> list[Recording]:
    """The recordings the request's pupil takes part in that the privacy officer can act
    on now (THE visibility rule), oldest first."""
    return list(
        recordings_visible(actor=actor, now=now)
        .filter(presences__pupil_id=request.pupil_id, presences__attested_out_of_view=False)
        .select_related("owner", "school")
        .order_by("recorded_at")
    )
