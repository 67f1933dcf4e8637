"""Legal holds (privacy officer) and the overview of upcoming expiries (institute admin)."""

from django.http import HttpRequest
from ninja import Router, Status

from classvault.core import clock
from classvault.people.models import Role
from classvault.people.services import require_role
from classvault.sharing.selectors import recording_get_visible

from . import selectors, services
from .schemas import ExpiryTrainerOut, LegalHoldIn, LegalHoldOut

router = Router(tags=["retention"])


@router.post("/recordings/{recording_id}/legal-hold", response={201: LegalHoldOut})
def legal_hold_place(request: HttpRequest, recording_id: str, payload: LegalHoldIn):
    """Place a legal hold (R4): kept past its expiry, skipped by the sweep, not deletable."""
    now = clock.now()
    require_role(request.auth, Role.PRIVACY_OFFICER)  # 403 before anything about the id
    recording = recording_get_visible(actor=request.auth, recording_id=recording_id, now=now)
    hold = services.legal_hold_place(
        actor=request.auth,
        recording=recording,
        reason=payload.reason,
        reference=payload.reference,
        now=now,
    )
    return Status(201, selectors.legal_hold_item(hold))


@router.delete("/recordings/{recording_id}/legal-hold", response={204: None})
def legal_hold_release(request: HttpRequest, recording_id: str):
    """Release the legal hold; an expired recording is then deleted by the next sweep."""
    now = clock.now()
    require_role(request.auth, Role.PRIVACY_OFFICER)
    recording = recording_get_visible(actor=request.auth, recording_id=recording_id, now=now)
    services.legal_hold_release(actor=request.auth, recording=recording, now=now)
    return Status(204, None)


@router.get("/legal-holds", response=list[LegalHoldOut])
def legal_hold_list(request: HttpRequest, include_released: bool = False):
    """Active legal holds, newest first; ``include_released`` adds the released ones."""
    return selectors.legal_holds_list(actor=request.auth, include_released=include_released)


@router.get("/expiries", response=list[ExpiryTrainerOut])
def expiry_list(request: HttpRequest, within_days: int = 30):
    """Per trainer, their student teachers with unassessed recordings that expire within
    ``within_days`` days: how many and the earliest expiry (R1). No recording details."""
    return selectors.expiries_upcoming(actor=request.auth, now=clock.now(), within_days=within_days)
