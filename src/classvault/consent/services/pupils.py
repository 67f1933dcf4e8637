"""The roster: adding pupils one by one, or importing a school's export."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from classvault.audit.actions import AuditAction
from classvault.audit.services import audit_record
from classvault.core.exceptions import Conflict, Forbidden, Invalid
from classvault.core.time import today_in_amsterdam
from classvault.people.models import Role, School, User
from classvault.people.services import require_role

from ..models import Pupil
from ..roster import parse_roster


def _own_school(actor: User, school_code: str) -> School:
    require_role(actor, Role.SCHOOL_ADMIN)
    school = School.objects.filter(code=school_code).first()
    if school is None:
        raise Invalid(_("Unknown school %(code)s. Check the school code.") % {"code": school_code})
    if school.pk != actor.school_id:
        raise Forbidden(_("You can only manage the pupils of your own school."))
    return school


@transaction.atomic
def pupil_create(
    *,
    actor: User,
    school_code: str,
    external_id: str,
    full_name: str,
    date_of_birth: date,
    group: str,
    now: datetime,
) -> Pupil:
    """Add a pupil to the roster of the actor's own school."""
    school = _own_school(actor, school_code)
    external_id, full_name, group = (" ".join(v.split()) for v in (external_id, full_name, group))
    if not external_id or not full_name or not group:
        raise Invalid(_("A pupil needs a pupil number, a name and a group."))
    if date_of_birth > today_in_amsterdam(now):
        raise Invalid(_("The date of birth lies in the future. Check the date."))
    if Pupil.objects.filter(school=school, external_id=external_id).exists():
        raise Conflict(
            _("Pupil number %(number)s is already on the roster of %(school)s.")
            % {"number": external_id, "school": school.code}
        )
    try:
        with transaction.atomic():
            pupil = Pupil.objects.create(
                school=school,
                external_id=external_id,
                full_name=full_name,
                date_of_birth=date_of_birth,
                group=group,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError as exc:
        raise Conflict(
            _("Pupil number %(number)s is already on the roster of %(school)s.")
            % {"number": external_id, "school": school.code}
        ) from exc
    audit_record(
        actor=actor,
        action=AuditAction.PUPIL_CREATE,
        obj=pupil,
        now=now,
        data={"school": school.code},
    )
    return pupil


# --- roster import ----------------------------------------------------------------------


@dataclass
class PlannedRow:
    line: int
    external_id: str
    full_name: str
    date_of_birth: date
    group: str
    action: str  # "create" | "update" | "unchanged"
    pupil: Pupil | None = None
    changes: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class ImportPlan:
    school: School
    encoding: str
    delimiter: str
    applied: bool
    rows: list[PlannedRow]
    errors: list[dict[str, Any]]
    not_in_file: list[Pupil]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


_IMPORTED_FIELDS: tuple[tuple[str, Callable[[Any], str]], ...] = (
    ("full_name", str),
    ("date_of_birth", lambda d: d.isoformat()),
    ("group", str),
)


def _compare(row: PlannedRow, pupil: Pupil | None) -> None:
    """Set the row's action (and changes) against the pupil now on the roster, if any."""
    row.pupil, row.changes = pupil, {}
    if pupil is None:
        row.action = "create"
        return
    for name, show in _IMPORTED_FIELDS:
        old, new = getattr(pupil, name), getattr(row, name)
        if old != new:
            row.changes[name] = {"old": show(old), "new": show(new)}
    row.action = "update" if row.changes else "unchanged"


def _plan(school: School, data: bytes, now: datetime) -> ImportPlan:
    roster = parse_roster(data, today=today_in_amsterdam(now))
    existing = {p.external_id: p for p in Pupil.objects.filter(school=school)}
    rows = []
    for row in roster.rows:
        planned = PlannedRow(
            row.line, row.external_id, row.full_name, row.date_of_birth, row.group, "create"
        )
        _compare(planned, existing.get(row.external_id))
        rows.append(planned)
    in_file = {r.external_id for r in roster.rows}
    not_in_file = sorted(
        (p for k, p in existing.items() if k not in in_file), key=lambda p: (p.group, p.full_name)
    )
    errors = [{"line": e.line, "detail": e.detail} for e in roster.errors]
    return ImportPlan(school, roster.encoding, roster.delimiter, False, rows, errors, not_in_file)


# Rows per transaction: on SQLite a transaction holds the one write lock, and every other
# writer (a comment, the worker claiming a job) waits for it; 500 rows take well under a
# second.
IMPORT_BATCH = 500
# A writer that commits and at once begins again keeps SQLite's lock: the waiting ones
# sleep in SQLite's busy handler, up to 100 ms between tries. Pausing longer than that
# between batches lets them in.
SQLITE_BATCH_PAUSE = 0.12


def pupils_import(
    *,
    actor: User,
    school_code: str,
    data: bytes,
    apply: bool,
    now: datetime,
    batch_size: int = IMPORT_BATCH,
) -> ImportPlan:
    """Preview or apply a roster export for the actor's own school.

    The preview says per row whether the pupil will be created, updated or stays unchanged,
    and lists every row error with its line number. Pupils missing from the file are
    listed, never removed: their consent history must stay.

    Applying checks the whole file first: one row error and nothing is written (Invalid,
    with the errors). It then writes in batches of ``batch_size`` rows, one short
    transaction each, so a large roster never holds the database's write lock for long.
    Each batch locks and re-reads its pupils and upserts them by pupil number, with an
    audit event per created or updated pupil; the ``pupil.import`` event, with what the
    whole import did, is written with the last batch. So a batch is idempotent: an import
    stopped half-way (the process died, or Conflict because the roster changed underneath)
    leaves whole batches applied, and uploading the same file again completes it (the rows
    already applied are then "unchanged"). Applying the same file twice changes nothing
    the second time.
    """
    school = _own_school(actor, school_code)
    plan = _plan(school, data, now)
    if not apply:
        return plan
    if plan.errors:
        raise Invalid(
            _(
                "Nothing was imported: %(count)d lines have errors. Fix them and "
                "upload the file again."
            )
            % {"count": len(plan.errors)},
            errors=plan.errors,
        )
    batches = [plan.rows[i : i + batch_size] for i in range(0, len(plan.rows), batch_size)]
    pause = SQLITE_BATCH_PAUSE if connection.vendor == "sqlite" else 0
    for number, batch in enumerate(batches or [[]], start=1):
        if number > 1 and pause:
            time.sleep(pause)
        try:
            with transaction.atomic():
                _apply_batch(actor=actor, school=school, rows=batch, now=now)
                if number == max(len(batches), 1):
                    audit_record(
                        actor=actor,
                        action=AuditAction.PUPIL_IMPORT,
                        object_type="school",
                        object_id=school.code,
                        now=now,
                        data={
                            "create": plan.count("create"),
                            "update": plan.count("update"),
                            "unchanged": plan.count("unchanged"),
                            "encoding": plan.encoding,
                            "batches": len(batches),
                        },
                    )
        except IntegrityError as exc:
            done = (number - 1) * batch_size
            raise Conflict(
                _(
                    "The roster changed while importing: %(done)d of %(total)d "
                    "pupils were imported. Upload the file again to import the "
                    "rest."
                )
                % {"done": done, "total": len(plan.rows)}
            ) from exc
    plan.applied = True
    return plan


def _apply_batch(*, actor: User, school: School, rows: list[PlannedRow], now: datetime) -> None:
    """Upsert one batch by pupil number against the roster as it is now (in a transaction)."""
    current = {
        p.external_id: p
        for p in Pupil.objects.select_for_update().filter(
            school=school, external_id__in=[r.external_id for r in rows]
        )
    }
    for row in rows:
        _compare(row, current.get(row.external_id))
        _apply_row(actor=actor, school=school, row=row, now=now)


def _apply_row(*, actor: User, school: School, row: PlannedRow, now: datetime) -> None:
    if row.action == "create":
        row.pupil = Pupil.objects.create(
            school=school,
            external_id=row.external_id,
            full_name=row.full_name,
            date_of_birth=row.date_of_birth,
            group=row.group,
            created_at=now,
            updated_at=now,
        )
        audit_record(
            actor=actor,
            action=AuditAction.PUPIL_CREATE,
            obj=row.pupil,
            now=now,
            data={"school": school.code, "via": "import"},
        )
    elif row.action == "update":
        assert row.pupil is not None
        Pupil.objects.filter(pk=row.pupil.pk).update(
            full_name=row.full_name,
            date_of_birth=row.date_of_birth,
            group=row.group,
            updated_at=now,
        )
        # Which fields changed, not their values: names stay out of the audit log.
        audit_record(
            actor=actor,
            action=AuditAction.PUPIL_UPDATE,
            obj=row.pupil,
            now=now,
            data={"fields": sorted(row.changes), "via": "import"},
        )
