"""Reads about pupils, consent and the privacy statement.

Who may see a pupil:
- the school_admin of the pupil's school: everything (roster, consent, history);
- the privacy_officer: everything, for every school (requests, complaints, audits);
- a student_teacher enrolled at the pupil's school: the roster with the consent state only,
  to plan a recording;
- a school_supervisor of the pupil's school: the same, read-only (she manages recordings on
  her student teachers' behalf and must know who may be shown);
- nobody else. A role that may never look gets 403; a school_admin asking for another
  school's pupil gets 404, as if the pupil did not exist.
"""

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from classvault.core.exceptions import Forbidden, Invalid, NotVisible
from classvault.core.time import today_in_amsterdam
from classvault.people.models import Enrolment, Role, School, User
from classvault.people.services import require_role

from .models import ConsentRecord, ContactKind, Pupil, StatementVersion


def parse_pupil_id(value: object) -> uuid.UUID | None:
    """The UUID in ``value``, or None when it is not one (then no pupil has it)."""
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


# --- privacy statement ------------------------------------------------------------------


def statement_current() -> StatementVersion | None:
    """The version in force: the one published last."""
    return StatementVersion.objects.first()


def statement_versions() -> QuerySet[StatementVersion]:
    """Every published version, newest first."""
    return StatementVersion.objects.all()


def statement_get(*, version: str) -> StatementVersion:
    statement = StatementVersion.objects.filter(version=version).first()
    if statement is None:
        raise NotVisible(
            _("There is no privacy statement with version %(version)s.") % {"version": version}
        )
    return statement


def statement_contacts(statement: StatementVersion) -> list[dict[str, str]]:
    """The statement's contacts with a translated label, in the order of ContactKind (R16)."""
    order = {kind: i for i, kind in enumerate(ContactKind.values)}
    contacts = sorted(statement.contacts, key=lambda c: order.get(c.get("kind"), len(order)))
    return [
        {**c, "label": ContactKind(c["kind"]).label if c.get("kind") in order else ""}
        for c in contacts
    ]


# --- pupils -----------------------------------------------------------------------------


def _school_by_code(code: str) -> School:
    school = School.objects.filter(code=code).first()
    if school is None:
        raise Invalid(_("Unknown school %(code)s. Check the school code.") % {"code": code})
    return school


def _enrolled_school_id(user: User, today: date) -> int | None:
    """The school a student teacher is placed at, while their study lasts."""
    return (
        Enrolment.objects.filter(student_teacher=user, study_end__gte=today)
        .values_list("school_id", flat=True)
        .first()
    )


def pupil_get_managed(*, actor: User, pupil_id: str) -> Pupil:
    """A pupil whose record and consent the actor manages (school_admin, privacy_officer)."""
    require_role(actor, Role.SCHOOL_ADMIN, Role.PRIVACY_OFFICER)
    pk = parse_pupil_id(pupil_id)
    qs = Pupil.objects.select_related("school")
    if actor.role == Role.SCHOOL_ADMIN:
        qs = qs.filter(school_id=actor.school_id)
    pupil = qs.filter(pk=pk).first() if pk is not None else None
    if pupil is None:
        raise NotVisible(_("No such pupil."))
    return pupil


def roster_school(*, actor: User, school_code: str | None, now: datetime) -> School:
    """The school whose roster the actor asks for; the actor's own school when omitted."""
    require_role(
        actor, Role.SCHOOL_ADMIN, Role.STUDENT_TEACHER, Role.SCHOOL_SUPERVISOR, Role.PRIVACY_OFFICER
    )
    if actor.role in (Role.SCHOOL_ADMIN, Role.SCHOOL_SUPERVISOR):
        own_id = actor.school_id
    elif actor.role == Role.STUDENT_TEACHER:
        own_id = _enrolled_school_id(actor, today_in_amsterdam(now))
        if own_id is None:
            raise Forbidden(
                _(
                    "You are not placed at a school (or your study has ended), so "
                    "there is no roster to show. Ask the institute."
                )
            )
    else:
        own_id = None
    if not school_code:
        if own_id is None:
            raise Invalid(_("Say which school: add ?school=CODE."))
        return School.objects.get(pk=own_id)
    school = _school_by_code(school_code)
    if own_id is not None and school.pk != own_id:
        raise Forbidden(_("You can only see the pupils of your own school."))
    return school


def pupils_list(
    *, actor: User, school_code: str | None, now: datetime, group: str | None = None
) -> QuerySet[Pupil]:
    """The roster of a school with the current consent state, in one query.

    ``group`` matches whatever its case and surrounding spaces: people type "5a" for 5A.
    """
    school = roster_school(actor=actor, school_code=school_code, now=now)
    qs = Pupil.objects.filter(school=school)
    group = (group or "").strip()
    if group:
        qs = qs.filter(group__iexact=group)
    return qs.order_by("group", "full_name", "external_id")


def pupils_for_forms(
    *,
    actor: User,
    school_code: str | None,
    group: str | None,
    now: datetime,
    pupil_id: str | None = None,
    missing: bool = False,
) -> list[Pupil]:
    """Pupils to print consent forms for: one pupil, a group or the whole school; with
    ``missing`` only those who lack consent to record or to be shown to fellow students.

    Only the school_admin of the school: the forms carry dates of birth.
    """
    require_role(actor, Role.SCHOOL_ADMIN)
    if pupil_id is not None:
        return [pupil_get_managed(actor=actor, pupil_id=pupil_id)]
    pupils = pupils_list(actor=actor, school_code=school_code, group=group, now=now)
    if missing:
        pupils = pupils.filter(peer_viewing_consent=False)  # no recording consent implies it
    return list(pupils.select_related("school"))


def school_groups(*, school: School) -> list[str]:
    """The groups of a school's roster, in order (for a group picker)."""
    return list(
        Pupil.objects.filter(school=school)
        .order_by("group")
        .values_list("group", flat=True)
        .distinct()
    )


def consent_register(*, actor: User, now: datetime) -> list[dict[str, Any]]:
    """The school admin's register: per group, who may not be recorded or not be shown to
    fellow students, so forms can be collected before the next lesson. One query."""
    require_role(actor, Role.SCHOOL_ADMIN)
    groups: dict[str, dict[str, Any]] = {}
    for pupil in pupils_list(actor=actor, school_code=None, now=now):
        row = groups.setdefault(
            pupil.group,
            {"group": pupil.group, "total": 0, "without_recording": [], "without_peer": []},
        )
        row["total"] += 1
        if not pupil.recording_consent:
            row["without_recording"].append(pupil)
        elif not pupil.peer_viewing_consent:
            row["without_peer"].append(pupil)
    return list(groups.values())


def pupils_named(*, actor: User, pupil_ids: Iterable[str]) -> dict[str, Pupil]:
    """The pupils with these ids the actor manages, by id string (to name them in a list,
    e.g. the audit log's); ids of pupils not found or not the actor's are left out."""
    require_role(actor, Role.SCHOOL_ADMIN, Role.PRIVACY_OFFICER)
    pks = {pk for pk in map(parse_pupil_id, pupil_ids) if pk is not None}
    if not pks:
        return {}
    pupils = Pupil.objects.select_related("school").filter(pk__in=pks)
    if actor.role == Role.SCHOOL_ADMIN:
        pupils = pupils.filter(school_id=actor.school_id)
    return {str(p.pk): p for p in pupils}


def consent_history(*, pupil: Pupil) -> QuerySet[ConsentRecord]:
    """Every consent record of the pupil, oldest first."""
    return (
        ConsentRecord.objects.filter(pupil=pupil)
        .select_related("statement_version", "registered_by")
        .order_by("seq")
    )


def pupils_get_for_school(*, school: School, pupil_ids: Iterable[str]) -> list[Pupil]:
    """The pupils with these ids at this school, in the order asked, each once.

    Ids that are not UUIDs, unknown, or of another school's pupil raise Invalid with
    ``unknown_pupils`` (the ids as given): a caller never learns which of those exist.
    """
    wanted: dict[uuid.UUID, str] = {}
    unknown: list[str] = []
    for raw in pupil_ids:
        pk = parse_pupil_id(raw)
        if pk is None:
            unknown.append(str(raw))
        else:
            wanted.setdefault(pk, str(raw))
    found = {p.pk: p for p in Pupil.objects.filter(school=school, pk__in=list(wanted))}
    unknown += [raw for pk, raw in wanted.items() if pk not in found]
    if unknown:
        raise Invalid(
            _("These pupils are not on the roster of %(school)s: %(ids)s.")
            % {"school": school.code, "ids": ", ".join(unknown)},
            unknown_pupils=unknown,
        )
    return [found[pk] for pk in wanted]
