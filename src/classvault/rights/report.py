"""The pupil's access report (GDPR art. 15, R12): what ClassVault holds about a pupil and
who had and used access, proven from the audit log.

Every recording the pupil takes part in (not those where the pupil was attested out of
view: they do not take part) is listed, living or deleted. Who had access (shares,
screenings) and who actually viewed it come from the audit log, which outlives the
recording; the tables only add who may see a living recording now. Deleted recordings are
found through retention's tombstones, which keep the pupils' opaque ids. No video, no still
and no comment text is ever part of the report.
"""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from classvault.audit.actions import AuditAction
from classvault.audit.selectors import AuditQuery, audit_events
from classvault.audit.services import audit_record
from classvault.consent import selectors as consent_selectors
from classvault.consent.models import Pupil
from classvault.people.models import Role, User
from classvault.people.services import require_role
from classvault.recordings.models import Recording
from classvault.retention.models import LegalHold, Tombstone
from classvault.sharing.access import recordings_access_lists
from classvault.sharing.selectors import shared_with_many

from .models import DataSubjectRequest

VIEWS = (AuditAction.RECORDING_VIEW, AuditAction.RECORDING_STREAM, AuditAction.RECORDING_POSTER)
SHARES = (AuditAction.RECORDING_SHARE, AuditAction.RECORDING_UNSHARE)
SCREENINGS = (AuditAction.SCREENING_SCHEDULE, AuditAction.SCREENING_CANCEL)
TRAIL = (*VIEWS, *SHARES, *SCREENINGS, AuditAction.RECORDING_DELETE)

# Why recordings are made and on what basis (the record of processing says the same).
PURPOSE = _("Coaching and assessment of the student teacher in teacher education")
BASIS_CONSENT = _("Consent of the pupil or their parent or guardian (GDPR art. 6(1)(a))")
BASIS_HOLD = _("Legal obligation while under legal hold (GDPR art. 6(1)(c))")


def _names(usernames: set[str]) -> dict[str, str]:
    return {u.username: u.display_name for u in User.objects.filter(username__in=sorted(usernames))}


def _trail(recording_ids: list[str]) -> dict[str, list]:
    """The audit events about these recordings that say who had and used access, in order."""
    by_recording: dict[str, list] = {rid: [] for rid in recording_ids}
    if not recording_ids:
        return by_recording
    query = AuditQuery(object_ids=tuple(recording_ids), actions=tuple(a.value for a in TRAIL))
    for event in audit_events(query=query).order_by("seq"):
        by_recording[event.object_id].append(event)
    return by_recording


def _access_from(events: list) -> dict[str, Any]:
    """Shares (with from/until), screenings (with attendees, cancelled or not) and views."""
    shares: list[dict[str, Any]] = []
    open_shares: dict[str, dict[str, Any]] = {}
    screenings: dict[str, dict[str, Any]] = {}
    viewers: list[dict[str, Any]] = []
    deletion: dict[str, Any] | None = None
    for e in events:
        if e.action == AuditAction.RECORDING_SHARE:
            entry = {"username": e.data.get("with", ""), "since": e.at, "until": None}
            open_shares[entry["username"]] = entry
            shares.append(entry)
        elif e.action == AuditAction.RECORDING_UNSHARE:
            entry = open_shares.pop(e.data.get("with", ""), None)
            if entry is not None:
                entry["until"] = e.at
        elif e.action == AuditAction.SCREENING_SCHEDULE:
            screenings[e.data.get("screening", "")] = {
                "id": e.data.get("screening", ""),
                "mode": e.data.get("mode", ""),
                "starts_at": e.data.get("starts_at"),
                "ends_at": e.data.get("ends_at"),
                "attendees": list(e.data.get("attendees", [])),
                "scheduled_by": e.actor,
                "cancelled_at": None,
            }
        elif e.action == AuditAction.SCREENING_CANCEL:
            screening = screenings.get(e.data.get("screening", ""))
            if screening is not None:
                screening["cancelled_at"] = e.at
        elif e.action in VIEWS:
            viewers.append({"actor": e.actor, "at": e.at, "action": e.action, "purpose": e.purpose})
        elif e.action == AuditAction.RECORDING_DELETE:
            deletion = {"at": e.at, "by": e.actor, "reason": e.data.get("reason", "")}
    return {
        "shares": shares,
        "shared_at_end": sorted(open_shares),
        "screenings": list(screenings.values()),
        "viewers": viewers,
        "deletion": deletion,
    }


def pupil_report(*, pupil: Pupil, now: datetime) -> dict[str, Any]:
    """Everything the access report shows about ``pupil`` at ``now`` (a read; see
    :func:`pupil_report_read` for the logged one)."""
    living = list(
        Recording.objects.filter(presences__pupil=pupil, presences__attested_out_of_view=False)
        .select_related("owner", "school")
        .order_by("recorded_at")
    )
    tombstones = list(
        Tombstone.objects.filter(pupils__pupil_id=pupil.pk).order_by("recorded_at", "deleted_at")
    )
    ids = [str(r.pk) for r in living] + [str(t.recording_id) for t in tombstones]
    trail = _trail(ids)
    held = set(
        LegalHold.objects.filter(recording__in=living, released_at__isnull=True).values_list(
            "recording_id", flat=True
        )
    )
    # Every read below is one query for all the recordings: the report costs the same number
    # of queries for one recording as for a hundred (tests/rights/test_report_queries.py).
    shares_now = shared_with_many(recordings=living)
    access_now = recordings_access_lists(recordings=living, now=now)
    rows: list[dict[str, Any]] = []
    for recording in living:
        access = _access_from(trail[str(recording.pk)])
        on_hold = recording.pk in held
        rows.append(
            {
                "id": str(recording.pk),
                "title": recording.title,
                "recorded_at": recording.recorded_at,
                "student_teacher": recording.owner.username,
                "student_teacher_name": recording.owner.display_name,
                "school": recording.school.code,
                "school_name": recording.school.name,
                "expires_at": recording.expires_at,
                "status": recording.status,
                "deleted": False,
                "deleted_at": None,
                "deleted_reason": "",
                "legal_hold": on_hold,
                "purpose": str(PURPOSE),
                "legal_basis": [str(BASIS_CONSENT)] + ([str(BASIS_HOLD)] if on_hold else []),
                "shared_with": shares_now[recording.pk],
                "has_access_now": [
                    {"username": a.user.username, "name": a.user.display_name, "reason": a.reason}
                    for a in access_now[recording.pk]
                    if a.current
                ],
                **access,
            }
        )
    for tombstone in tombstones:
        access = _access_from(trail[str(tombstone.recording_id)])
        rows.append(
            {
                "id": str(tombstone.recording_id),
                "title": "",
                "recorded_at": tombstone.recorded_at,
                "student_teacher": tombstone.owner,
                "student_teacher_name": "",
                "school": tombstone.school,
                "school_name": "",
                "expires_at": tombstone.expires_at,
                "status": "deleted",
                "deleted": True,
                "deleted_at": tombstone.deleted_at,
                "deleted_reason": tombstone.reason,
                "legal_hold": False,
                "purpose": str(PURPOSE),
                "legal_basis": [str(BASIS_CONSENT)],
                "shared_with": access["shared_at_end"],
                "has_access_now": [],
                **access,
            }
        )
    usernames = {r["student_teacher"] for r in rows}
    for r in rows:
        usernames.update(s["username"] for s in r["shares"])
        usernames.update(v["actor"] for v in r["viewers"])
        for s in r["screenings"]:
            usernames.update(s["attendees"])
    names = _names(usernames)
    for r in rows:
        r["student_teacher_name"] = r["student_teacher_name"] or names.get(r["student_teacher"], "")
        for s in r["shares"]:
            s["name"] = names.get(s["username"], "")
        for v in r["viewers"]:
            v["name"] = names.get(v["actor"], "")
        for s in r["screenings"]:
            s["attendee_names"] = [names.get(a, a) for a in s["attendees"]]
    rows.sort(key=lambda r: (r["recorded_at"] is None, r["recorded_at"] or now))
    out_of_view = [
        {"recording": e.data.get("recording", ""), "at": e.at, "by": e.actor}
        for e in audit_events(
            query=AuditQuery(
                object_ids=(str(pupil.pk),),
                actions=(AuditAction.RECORDING_ATTEST_OUT_OF_VIEW.value,),
            )
        ).order_by("seq")
    ]
    return {
        "pupil": pupil,
        "consent": {
            "recording": pupil.recording_consent,
            "peer_viewing": pupil.peer_viewing_consent,
            "history": list(consent_selectors.consent_history(pupil=pupil)),
        },
        "recordings": rows,
        "out_of_view": out_of_view,
        "requests": list(
            DataSubjectRequest.objects.filter(pupil=pupil).order_by("received_on", "registered_at")
        ),
        "statement": consent_selectors.statement_current(),
        "generated_at": now,
    }


@transaction.atomic
def pupil_report_read(*, actor: User, pupil_id: str, now: datetime) -> dict[str, Any]:
    """The access report of a pupil, for the privacy officer; the read itself is logged
    (``report.read``, about the pupil), in the same transaction as the read."""
    require_role(actor, Role.PRIVACY_OFFICER)
    pupil = consent_selectors.pupil_get_managed(actor=actor, pupil_id=pupil_id)
    report = pupil_report(pupil=pupil, now=now)
    audit_record(
        actor=actor,
        action=AuditAction.REPORT_READ,
        obj=pupil,
        now=now,
        purpose="access_request",
        data={"recordings": len(report["recordings"])},
    )
    return report
