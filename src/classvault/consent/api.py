"""Pupils, consent and withdrawal (school_admin of the pupil's school); the privacy statement."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status, UploadedFile

from classvault.core import clock
from classvault.core.exceptions import NotVisible

from . import selectors, services
from .roster import MAX_BYTES
from .schemas import (
    ConsentIn,
    ConsentOut,
    ConsentStateOut,
    ImportOut,
    PrivacyOut,
    PupilFilter,
    PupilIn,
    PupilListItem,
    PupilOut,
    StatementIn,
    StatementOut,
    WithdrawalIn,
)

router = Router(tags=["pupils and consent"])


@router.post("/pupils", response={201: PupilOut})
def pupil_create(request: HttpRequest, payload: PupilIn):
    """Add a pupil to the roster of your school (school_admin)."""
    pupil = services.pupil_create(
        actor=request.auth,
        school_code=payload.school,
        external_id=payload.external_id,
        full_name=payload.full_name,
        date_of_birth=payload.date_of_birth,
        group=payload.group,
        now=clock.now(),
    )
    return Status(201, pupil)


@router.get("/pupils", response=list[PupilListItem])
def pupil_list(request: HttpRequest, filters: Query[PupilFilter]):
    """A school's roster with consent: its school_admin, student teachers placed there, and
    the privacy officer. `school` defaults to your own school."""
    return selectors.pupils_list(
        actor=request.auth, school_code=filters.school, group=filters.group, now=clock.now()
    )


# Before /pupils/{pupil_id}: "import" must not be taken for an id.
@router.post("/pupils/import", response=ImportOut)
def pupil_import(request: HttpRequest, school: str, file: File[UploadedFile], apply: bool = False):
    """Preview (`apply=false`) or apply a roster export (CSV: `;` or `,`, UTF-8 or
    Windows-1252). Applying is all or nothing: any row error answers 422 with `errors`."""
    plan = services.pupils_import(
        actor=request.auth,
        school_code=school,
        data=file.read(MAX_BYTES + 1),
        apply=apply,
        now=clock.now(),
    )
    return {
        "school": plan.school.code,
        "applied": plan.applied,
        "encoding": plan.encoding,
        "delimiter": plan.delimiter,
        "summary": {
            "create": plan.count("create"),
            "update": plan.count("update"),
            "unchanged": plan.count("unchanged"),
            "errors": len(plan.errors),
        },
        "rows": [{**vars(r), "id": r.pupil.pk if r.pupil else None} for r in plan.rows],
        "errors": plan.errors,
        "not_in_file": plan.not_in_file,
    }


@router.get("/pupils/{pupil_id}", response=PupilOut)
def pupil_get(request: HttpRequest, pupil_id: str):
    return selectors.pupil_get_managed(actor=request.auth, pupil_id=pupil_id)


@router.post("/pupils/{pupil_id}/consent", response={201: ConsentStateOut})
def consent_give(request: HttpRequest, pupil_id: str, payload: ConsentIn):
    """Register a signed consent form. Under 16 a guardian signs, from 16 the pupil."""
    record = services.consent_give(
        actor=request.auth,
        pupil_id=pupil_id,
        recording=payload.recording,
        peer_viewing=payload.peer_viewing,
        given_by=payload.given_by,
        signer_name=payload.signer_name,
        signed_on=payload.signed_on,
        received_how=payload.received_how,
        now=clock.now(),
    )
    return Status(201, _state(record))


@router.post("/pupils/{pupil_id}/consent/withdraw", response=ConsentStateOut)
def consent_withdraw(request: HttpRequest, pupil_id: str, payload: WithdrawalIn):
    """Register a withdrawal made in person (R14), of all consent or of peer viewing."""
    record = services.consent_withdraw(
        actor=request.auth,
        pupil_id=pupil_id,
        scope=payload.scope,
        by=payload.by,
        signer_name=payload.signer_name,
        verified_in_person=payload.verified_in_person,
        on=payload.on,
        now=clock.now(),
    )
    return _state(record)


@router.get("/pupils/{pupil_id}/consent", response=ConsentOut)
def consent_get(request: HttpRequest, pupil_id: str):
    """Current consent and the full history, oldest first."""
    pupil = selectors.pupil_get_managed(actor=request.auth, pupil_id=pupil_id)
    return {
        "pupil": pupil.pk,
        "recording": pupil.recording_consent,
        "peer_viewing": pupil.peer_viewing_consent,
        "history": list(selectors.consent_history(pupil=pupil)),
    }


def _state(record) -> dict:
    return {
        "recording": record.recording,
        "peer_viewing": record.peer_viewing,
        "statement_version": record.statement_version.version,
    }


@router.get("/privacy", auth=None, response=PrivacyOut, tags=["privacy statement"])
def privacy_current(request: HttpRequest):
    """The privacy statement in force, its contacts and the earlier versions (public)."""
    versions = list(selectors.statement_versions())
    if not versions:
        raise NotVisible(_("No privacy statement has been published yet."))
    return {**_statement(versions[0]), "earlier_versions": versions[1:]}


@router.get(
    "/privacy-statements/{version}", auth=None, response=StatementOut, tags=["privacy statement"]
)
def privacy_version(request: HttpRequest, version: str):
    """One published version (public): the text a consent record refers to."""
    return _statement(selectors.statement_get(version=version))


@router.post("/privacy-statements", response={201: StatementOut}, tags=["privacy statement"])
def privacy_publish(request: HttpRequest, payload: StatementIn):
    """Publish a new version (institute_admin, privacy_officer). Contacts carry over from
    the current version when left out."""
    contacts = [c.dict() for c in payload.contacts] if payload.contacts is not None else None
    statement = services.statement_publish(
        actor=request.auth,
        version=payload.version,
        text=payload.text,
        contacts=contacts,
        now=clock.now(),
    )
    return Status(201, _statement(statement))


def _statement(statement) -> dict:
    return {
        "version": statement.version,
        "published_on": statement.published_on,
        "text": statement.text,
        "contacts": statement.contacts,
    }
