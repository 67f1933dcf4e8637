"""The access report (GDPR art. 15) lists exactly the recordings a pupil takes part in and
the viewers the audit log proves: a scenario of shares, screenings, views, a withdrawal and
a sweep."""

from datetime import date, timedelta

import pytest

from classvault.audit.models import AuditEvent
from classvault.consent.services import consent_withdraw
from classvault.recordings.models import RecordingPupil
from classvault.sharing.screenings import screening_schedule
from classvault.sharing.services import share_grant
from support.audit import assert_audited
from support.personas import NOW
from support.recordings import make_recording
from support.vault import sweep

pytestmark = pytest.mark.django_db

VIEWS = ("recording.view", "recording.stream", "recording.poster")


def _logged_viewers(recording_id) -> list[tuple[str, str]]:
    return [
        (e.actor, e.purpose)
        for e in AuditEvent.objects.filter(object_id=str(recording_id), action__in=VIEWS).order_by(
            "seq"
        )
    ]


def test_the_report_lists_what_the_audit_log_proves(world, pupils, vault_home, time_machine):
    time_machine.move_to(NOW, tick=False)
    sanne, ada, bram, dewi = world.student, pupils.ada, pupils.bram, pupils.dewi
    old = make_recording(
        sanne, title="Oude les", recorded_at=NOW - timedelta(days=175), pupils=[ada]
    )
    lesson = make_recording(sanne, title="Breuken", recorded_at=NOW, pupils=[ada, bram])
    circle = make_recording(sanne, title="Kring", recorded_at=NOW, pupils=[ada, dewi])
    other = make_recording(sanne, title="Zonder Ada", recorded_at=NOW, pupils=[bram])
    # Ada was kept out of view in this one: she does not take part in it.
    RecordingPupil.objects.create(recording=other, pupil=ada, attested_out_of_view=True)

    share_grant(actor=sanne, recording=lesson, username="tom", now=NOW)
    share_grant(actor=sanne, recording=old, username="tom", now=NOW)
    starts = NOW + timedelta(hours=1)
    screening_schedule(
        actor=sanne,
        recording=circle,
        mode="online",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        attendees=["femke"],
        now=NOW,
    )
    later = screening_schedule(
        actor=sanne,
        recording=circle,
        mode="online",
        starts_at=NOW + timedelta(days=3),
        ends_at=NOW + timedelta(days=3, hours=1),
        attendees=["femke"],
        now=NOW,
    )
    tom = world.api(world.trainer)
    assert tom.get(f"/recordings/{lesson.pk}").status_code == 200
    assert tom.get(f"/recordings/{old.pk}").status_code == 200
    piet = world.api(world.privacy)
    assert piet.get(f"/recordings/{lesson.pk}", purpose="verzoek-2026-01").status_code == 200
    assert world.api(world.fellow).get(f"/recordings/{circle.pk}").status_code == 404
    assert world.api(world.supervisor).get(f"/recordings/{circle.pk}").status_code == 200

    time_machine.move_to(starts + timedelta(minutes=30), tick=False)
    assert world.api(world.fellow).get(f"/recordings/{circle.pk}").status_code == 200

    # Two days later Ada's guardian withdraws showing to fellow students: the later
    # screening is cancelled.
    time_machine.move_to(NOW + timedelta(days=2), tick=False)
    consent_withdraw(
        actor=world.school_admin,
        pupil_id=str(ada.pk),
        scope="peer_viewing",
        by="guardian",
        signer_name="Gerda Guardian",
        verified_in_person=True,
        on=date(2026, 11, 4),
        now=NOW + timedelta(days=2),
    )
    # The old lesson's six months run out; the sweep deletes it.
    sweep_at = NOW + timedelta(days=20)
    assert sweep(sweep_at) == [str(old.pk)]

    time_machine.move_to(sweep_at, tick=False)
    piet = world.api(world.privacy)
    response = piet.get(f"/pupils/{ada.pk}/report")
    assert response.status_code == 200, response.content
    report = response.json()
    assert_audited("report.read", actor="piet", object_id=ada.pk, recordings=3)

    assert report["pupil"]["full_name"] == "Ada Aap"
    assert report["consent"]["recording"] is True
    assert report["consent"]["peer_viewing"] is False
    assert [h["kind"] for h in report["consent"]["history"]] == ["give", "withdraw"]

    rows = {r["id"]: r for r in report["recordings"]}
    assert set(rows) == {str(old.pk), str(lesson.pk), str(circle.pk)}  # not `other`
    assert [r["id"] for r in report["recordings"]][0] == str(old.pk)  # oldest first

    for recording_id, row in rows.items():
        assert [(v["actor"], v["purpose"]) for v in row["viewers"]] == _logged_viewers(recording_id)
        assert row["school"] == "NOORD"
        assert row["student_teacher"] == "sanne"

    gone = rows[str(old.pk)]
    assert gone["deleted"] is True
    assert gone["deleted_reason"] == "expired"
    assert gone["deleted_at"].startswith("2026-11-22")
    assert gone["shared_with"] == ["tom"]
    assert [(v["actor"], v["purpose"]) for v in gone["viewers"]] == [("tom", "assessment")]
    assert gone["has_access_now"] == []

    first = rows[str(lesson.pk)]
    assert first["deleted"] is False
    assert first["shared_with"] == ["tom"]
    assert [s["username"] for s in first["shares"]] == ["tom"]
    assert [(v["actor"], v["purpose"]) for v in first["viewers"]] == [
        ("tom", "assessment"),
        ("piet", "verzoek-2026-01"),
    ]
    assert {a["username"] for a in first["has_access_now"]} >= {"sanne", "mira", "tom", "piet"}
    assert "Consent" in first["legal_basis"][0] or "Toestemming" in first["legal_basis"][0]

    second = rows[str(circle.pk)]
    assert second["shared_with"] == []
    assert [(s["attendees"], s["cancelled_at"] is not None) for s in second["screenings"]] == [
        (["femke"], False),
        (["femke"], True),
    ]
    assert second["screenings"][1]["id"] == str(later.pk)
    assert [(v["actor"], v["purpose"]) for v in second["viewers"]] == [
        ("mira", "coaching"),
        ("femke", "screening"),
    ]


def test_the_report_of_a_pupil_in_nothing_is_empty_but_audited(world, pupils, at_now):
    response = world.api(world.privacy).get(f"/pupils/{pupils.cas.pk}/report")
    assert response.status_code == 200
    assert response.json()["recordings"] == []
    assert response.json()["consent"]["history"] == []
    assert_audited("report.read", actor="piet", object_id=pupils.cas.pk, recordings=0)
