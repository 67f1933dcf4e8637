"""A large roster import is written in short batches: other writers are not locked out
meanwhile, and an import stopped half-way completes when the same file is uploaded again."""

import threading
import time
from datetime import date

import pytest
from django.db import IntegrityError, connection
from django.utils import translation

from classvault.audit.models import AuditEvent
from classvault.consent.models import Pupil
from classvault.consent.services import pupils as pupil_services
from classvault.core.exceptions import Conflict
from classvault.recordings.models import Comment
from classvault.sharing.feedback import comment_add
from support.personas import NOW
from support.pupils import add
from support.recordings import make_recording

HEADER = "leerlingnummer;roepnaam;tussenvoegsel;achternaam;geboortedatum;klas\n"


def roster(count: int, *, name: str = "Aap") -> bytes:
    lines = (f"{9000 + i};Kind{i};;{name};10-03-2014;5A\n" for i in range(count))
    return (HEADER + "".join(lines)).encode()


def apply(world, data: bytes, **kwargs):
    return pupil_services.pupils_import(
        actor=world.school_admin, school_code="NOORD", data=data, apply=True, now=NOW, **kwargs
    )


def test_a_comment_is_saved_while_a_large_import_runs(concurrent_db, studio, small_video):
    recording = make_recording(studio.student, video=small_video)
    before = Pupil.objects.count()
    outcome: dict[str, object] = {}

    def importer() -> None:
        try:
            outcome["plan"] = apply(studio, roster(5000))
        except Exception as exc:  # noqa: BLE001  (reported by the assertions below)
            outcome["import_error"] = exc
        finally:
            connection.close()

    def commenter() -> None:
        try:
            # Wait until part of the import is visible: the first batch has committed.
            deadline = time.monotonic() + 120
            while (seen := Pupil.objects.count() - before) == 0 and importer_thread.is_alive():
                assert time.monotonic() < deadline
                time.sleep(0.005)
            outcome["seen_while_running"] = seen
            comment_add(
                actor=studio.student,
                recording=recording,
                at_seconds=0.5,
                text="Mooie opening van de les.",
                now=NOW,
            )
            outcome["imported_when_comment_saved"] = Pupil.objects.count() - before
        except Exception as exc:  # noqa: BLE001
            outcome["comment_error"] = exc
        finally:
            connection.close()

    importer_thread = threading.Thread(target=importer)
    commenter_thread = threading.Thread(target=commenter)
    importer_thread.start()
    commenter_thread.start()
    importer_thread.join(300)
    commenter_thread.join(300)

    assert "import_error" not in outcome and "comment_error" not in outcome, outcome
    # Several transactions: a part of the roster was committed before the rest.
    assert 0 < outcome["seen_while_running"] < 5000
    # The comment did not wait for the whole import.
    assert outcome["imported_when_comment_saved"] < 5000
    assert Comment.objects.filter(recording=recording).count() == 1
    assert Pupil.objects.count() - before == 5000
    event = AuditEvent.objects.get(action="pupil.import")
    assert event.data["create"] == 5000 and event.data["batches"] == 10


@pytest.mark.usefixtures("at_now")
def test_an_import_stopped_half_way_completes_when_uploaded_again(world, monkeypatch):
    real = pupil_services._apply_batch
    batches = []

    def third_batch_loses_a_race(**kwargs):
        batches.append(len(kwargs["rows"]))
        if len(batches) == 3:
            raise IntegrityError("UNIQUE constraint failed")  # as a concurrent insert would
        real(**kwargs)

    monkeypatch.setattr(pupil_services, "_apply_batch", third_batch_loses_a_race)
    with pytest.raises(Conflict) as refused, translation.override("en"):
        apply(world, roster(25), batch_size=10)
    assert "20 of 25" in refused.value.detail
    assert Pupil.objects.filter(external_id__startswith="90").count() == 20
    assert AuditEvent.objects.filter(action="pupil.create").count() == 20
    assert not AuditEvent.objects.filter(action="pupil.import").exists()

    # Meanwhile one of the missing pupils was added by hand, under another name.
    add(world.school_admin, "9020", "Met De Hand", date(2014, 3, 10), "5A")
    monkeypatch.setattr(pupil_services, "_apply_batch", real)
    plan = apply(world, roster(25), batch_size=10)
    assert plan.applied
    assert (plan.count("create"), plan.count("update"), plan.count("unchanged")) == (4, 1, 20)
    assert (
        Pupil.objects.filter(
            external_id__startswith="90", full_name__startswith="Kind", group="5A"
        ).count()
        == 25
    )
    assert AuditEvent.objects.get(action="pupil.import").data["batches"] == 3


@pytest.mark.usefixtures("at_now")
def test_an_empty_roster_applies_and_is_audited_once(world):
    plan = apply(world, HEADER.encode())
    assert plan.applied and plan.rows == []
    assert AuditEvent.objects.get(action="pupil.import").data["batches"] == 0
