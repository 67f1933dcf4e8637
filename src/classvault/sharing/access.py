"""Reads for those who manage a recording (R6): who has access and why, whom it may be shared
with, who may attend a screening; and the work queues of the student teacher and her
supervisor at school.

Every list here is derived from the data of THE visibility rule (:mod:`.selectors`): the
same enrolment, share, screening, school and expiry conditions, so the "who has access"
panel can never say less (or more) than the rule admits. ``tests/sharing/
test_access_matrix.py`` compares the two for every persona of the access scene.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from classvault.audit.actions import AuditAction
from classvault.audit.selectors import audit_last_at
from classvault.consent.models import Pupil
from classvault.core.exceptions import Forbidden
from classvault.people.models import Enrolment, Role, User
from classvault.recordings.models import Comment, Recording
from classvault.recordings.rules import days_left

from .hooks import kept_after_expiry
from .models import Screening, ScreeningMode, Share
from .selectors import is_custodian, recording_get_visible, recordings_visible

OWNER, CUSTODIAN, SHARED, SCREENING, PRIVACY_OFFICER = (
    "owner",
    "custodian",
    "shared",
    "screening",
    "privacy_officer",
)


@dataclass
class AccessEntry:
    """One reason one person may see the recording; ``current`` while it admits them now
    (an online screening not yet begun is listed, with its window, but not current)."""

    user: User
    reason: str
    current: bool = True
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    shared: bool = False
    screening_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _enrolment(recording: Recording) -> Enrolment | None:
    return Enrolment.objects.filter(student_teacher_id=recording.owner_id).first()


def _active(users: QuerySet[User]) -> QuerySet[User]:
    # Only accounts that can sign in: a deactivated one sees nothing, whatever the rule says.
    return users.filter(is_active=True).order_by("full_name", "username")


def shareable_users(*, recording: Recording) -> QuerySet[User]:
    """Everyone :func:`.services.share_grant` accepts: the owner's own trainers, and her
    supervisors at the school where it was recorded (one at a school she moved to would see
    nothing through the share, yet be listed as having access)."""
    enrolment = _enrolment(recording)
    if enrolment is None:
        return User.objects.none()
    ids = [
        *enrolment.trainers.values_list("pk", flat=True),
        *enrolment.supervisors.filter(school_id=recording.school_id).values_list("pk", flat=True),
    ]
    return _active(User.objects.filter(pk__in=ids))


def share_candidates(*, recording: Recording) -> list[User]:
    """Whom the share form offers: the shareable trainers it is not shared with yet. (Her
    supervisors at this school are shareable too, but manage it already as custodians.)"""
    shared = Share.objects.filter(recording=recording).values("user_id")
    return list(
        shareable_users(recording=recording).filter(role=Role.TRAINER).exclude(pk__in=shared)
    )


def recording_access_list(*, recording: Recording, now: datetime) -> list[AccessEntry]:
    """Everyone the visibility rule admits to ``recording`` at ``now``, each with why.

    The rule's own conditions, read from its data: alive until ``expires_at`` (afterwards
    only the privacy officer, while a legal hold keeps it); the owner; her supervisors at
    the school where it was recorded; trainers it is shared with who are still hers; the
    attendees of an online screening while it runs (one still to come is listed with
    ``current=False``); the privacy officer (for requests and legal obligations).
    """
    return recordings_access_lists(recordings=[recording], now=now)[recording.pk]


def recordings_access_lists(
    *, recordings: list[Recording], now: datetime
) -> dict[Any, list[AccessEntry]]:
    """:func:`recording_access_list` of many recordings at once, by recording pk, in a fixed
    number of queries whatever their number (the pupil's access report lists them all).
    Pass recordings with ``owner`` selected, or each owner costs a query."""
    result: dict[Any, list[AccessEntry]] = {r.pk: [] for r in recordings}
    if not recordings:
        return result
    officer_users = list(_active(User.objects.filter(role=Role.PRIVACY_OFFICER)))

    def officers() -> list[AccessEntry]:
        return [AccessEntry(user=u, reason=PRIVACY_OFFICER) for u in officer_users]

    dead = [r for r in recordings if not r.expires_at > now]
    alive = [r for r in recordings if r.expires_at > now]
    if dead:
        kept = kept_after_expiry()
        held = (
            set(
                Recording.objects.filter(kept, pk__in=[r.pk for r in dead]).values_list(
                    "pk", flat=True
                )
            )
            if kept is not None
            else set()
        )
        for r in dead:
            result[r.pk] = officers() if r.pk in held else []
    if not alive:
        return result
    alive_ids = [r.pk for r in alive]
    enrolments = dict(
        Enrolment.objects.filter(student_teacher_id__in={r.owner_id for r in alive}).values_list(
            "student_teacher_id", "pk"
        )
    )
    supervisors_of: dict[Any, set] = {}
    for enrolment_id, user_id in Enrolment.supervisors.through.objects.filter(
        enrolment_id__in=enrolments.values()
    ).values_list("enrolment_id", "user_id"):
        supervisors_of.setdefault(enrolment_id, set()).add(user_id)
    trainers_of: dict[Any, set] = {}
    for enrolment_id, user_id in Enrolment.trainers.through.objects.filter(
        enrolment_id__in=enrolments.values()
    ).values_list("enrolment_id", "user_id"):
        trainers_of.setdefault(enrolment_id, set()).add(user_id)
    linked = set().union(*supervisors_of.values(), *trainers_of.values())
    # One query, in the order _active gives (the database's collation of full names).
    people = list(_active(User.objects.filter(pk__in=linked))) if linked else []
    shared_ids: dict[Any, set] = {}
    for recording_id, user_id in Share.objects.filter(recording_id__in=alive_ids).values_list(
        "recording_id", "user_id"
    ):
        shared_ids.setdefault(recording_id, set()).add(user_id)
    screenings_of: dict[Any, list[Screening]] = {}
    for screening in (
        Screening.objects.filter(
            recording_id__in=alive_ids,
            mode=ScreeningMode.ONLINE,
            cancelled_at__isnull=True,
            ends_at__gt=now,
        )
        .prefetch_related("attendees")
        .order_by("starts_at")
    ):
        screenings_of.setdefault(screening.recording_id, []).append(screening)
    for recording in alive:
        entries = (
            [AccessEntry(user=recording.owner, reason=OWNER)] if recording.owner.is_active else []
        )
        shared = shared_ids.get(recording.pk, set())
        enrolment_id = enrolments.get(recording.owner_id)
        if enrolment_id is not None:
            mine = supervisors_of.get(enrolment_id, set())
            entries += [
                AccessEntry(user=u, reason=CUSTODIAN, shared=u.pk in shared)
                for u in people
                if u.pk in mine
                and u.role == Role.SCHOOL_SUPERVISOR
                and u.school_id == recording.school_id
            ]
            theirs = trainers_of.get(enrolment_id, set())
            entries += [
                AccessEntry(user=u, reason=SHARED, shared=True)
                for u in people
                if u.pk in theirs and u.role == Role.TRAINER and u.pk in shared
            ]
        for screening in screenings_of.get(recording.pk, []):
            for user in screening.attendees.all():
                if user.is_active and user.role == Role.STUDENT_TEACHER:
                    entries.append(
                        AccessEntry(
                            user=user,
                            reason=SCREENING,
                            current=screening.starts_at <= now,
                            starts_at=screening.starts_at,
                            ends_at=screening.ends_at,
                            screening_id=str(screening.pk),
                        )
                    )
        result[recording.pk] = entries + officers()
    return result


def recording_get_managed(*, actor: User, recording_id: str, now: datetime) -> Recording:
    """A recording the actor manages (the owner or a custodian): 404 when she may not see
    it, 403 when she sees it but does not manage it (a shared trainer, a fellow student)."""
    recording = recording_get_visible(actor=actor, recording_id=recording_id, now=now)
    if not is_custodian(actor=actor, recording=recording):
        raise Forbidden(_("Only the student teacher or their supervisor manages access."))
    return recording


def screening_attendee_candidates(*, recording: Recording) -> list[User]:
    """Fellow student teachers a screening may invite: the active student teachers other than
    the owner, those placed at the recording's school first."""
    users = list(
        _active(
            User.objects.filter(role=Role.STUDENT_TEACHER).exclude(pk=recording.owner_id)
        ).select_related("enrolment")
    )
    return sorted(
        users,
        key=lambda u: (
            getattr(getattr(u, "enrolment", None), "school_id", None) != recording.school_id
        ),
    )


def screenings_planned(*, recording: Recording, now: datetime) -> list[Screening]:
    """The screenings not cancelled and not over, with their attendees, soonest first."""
    return list(
        Screening.objects.filter(recording=recording, cancelled_at__isnull=True, ends_at__gt=now)
        .prefetch_related("attendees")
        .order_by("starts_at")
    )


def pupil_names_for(*, actor: User, recording: Recording, pupil_ids: list[str]) -> list[str]:
    """The names of these pupils of the recording, for those who manage it (they know who was
    in their lesson); nobody else learns names from a refusal."""
    if not is_custodian(actor=actor, recording=recording):
        return []
    return list(
        Pupil.objects.filter(pk__in=pupil_ids, school_id=recording.school_id)
        .order_by("full_name")
        .values_list("full_name", flat=True)
    )


def recording_manage_panel(*, actor: User, recording: Recording, now: datetime) -> dict[str, Any]:
    """What the player's "who has access" panel shows the actor: the access list to those
    who work with the recording and the privacy officer; the forms to those who manage it."""
    manages = is_custodian(actor=actor, recording=recording)
    sees_list = (
        manages
        or actor.role == Role.PRIVACY_OFFICER
        or (
            actor.role == Role.TRAINER
            and Share.objects.filter(recording=recording, user=actor).exists()
        )
    )
    panel: dict[str, Any] = {
        "manages": manages,
        "sees_list": sees_list,
        "is_owner": recording.owner_id == actor.pk,
    }
    if sees_list:
        panel["entries"] = recording_access_list(recording=recording, now=now)
    else:
        panel["own_screening"] = (
            Screening.objects.filter(
                recording=recording,
                attendees=actor,
                mode=ScreeningMode.ONLINE,
                cancelled_at__isnull=True,
                starts_at__lte=now,
                ends_at__gt=now,
            )
            .order_by("ends_at")
            .first()
        )
    if manages:
        panel["share_candidates"] = share_candidates(recording=recording)
        panel["screenings"] = screenings_planned(recording=recording, now=now)
    return panel


# --- work queues ---------------------------------------------------------------------------


def student_work_queue(*, actor: User, now: datetime) -> list[dict[str, Any]]:
    """The student teacher's own recordings, what expires first on top, each with its days
    left, who it is shared with, and the feedback by others since she last opened it (her
    last ``recording.view`` in the audit log; all of it when she never did)."""
    if actor.role != Role.STUDENT_TEACHER:
        return []
    recordings = list(
        recordings_visible(actor=actor, now=now)
        .filter(owner=actor)
        .prefetch_related("shares__user")
        .order_by("expires_at")
    )
    ids = [str(r.pk) for r in recordings]
    seen = audit_last_at(
        actor_name=actor.get_username(), action=AuditAction.RECORDING_VIEW, object_ids=ids
    )
    new: dict[str, int] = {}
    for recording_id, created_at in (
        Comment.objects.filter(recording__in=recordings)
        .exclude(author=actor)
        .values_list("recording_id", "created_at")
    ):
        last = seen.get(str(recording_id))
        if last is None or created_at > last:
            new[str(recording_id)] = new.get(str(recording_id), 0) + 1
    return [
        {
            "recording": r,
            "days_left": days_left(r.expires_at, now),
            "new_feedback": new.get(str(r.pk), 0),
            "last_seen": seen.get(str(r.pk)),
            "shared_with": sorted(s.user.display_name for s in r.shares.all()),
        }
        for r in recordings
    ]


def supervisees_overview(*, actor: User, now: datetime) -> list[dict[str, Any]]:
    """A supervisor's student teachers with what she may see of theirs (recorded at her
    school): how many recordings and the newest."""
    if actor.role != Role.SCHOOL_SUPERVISOR:
        return []
    enrolments = (
        Enrolment.objects.filter(supervisors=actor)
        .select_related("student_teacher", "school")
        .order_by("student_teacher__full_name", "student_teacher__username")
    )
    mine: dict[int, list[Recording]] = {}
    for recording in recordings_visible(actor=actor, now=now).order_by("-recorded_at"):
        mine.setdefault(recording.owner_id, []).append(recording)
    return [
        {
            "enrolment": e,
            "student": e.student_teacher,
            "count": len(mine.get(e.student_teacher_id, [])),
            "newest": (mine.get(e.student_teacher_id) or [None])[0],
        }
        for e in enrolments
    ]
