"""The access report costs a fixed number of queries, however many recordings the pupil
takes part in (issue 15: it read the shares and the access list per recording)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classvault.sharing.services import share_grant
from support.personas import NOW
from support.recordings import make_recording
from support.vault import sweep

pytestmark = pytest.mark.django_db


def add_recordings(world, pupil, count, *, old=False):
    """Shared with Tom, viewed by him; ``old`` ones are deleted by the next sweep."""
    made = []
    for i in range(count):
        recorded_at = NOW - timedelta(days=200 + i) if old else NOW - timedelta(hours=i + 1)
        recording = make_recording(world.student, recorded_at=recorded_at, pupils=[pupil])
        if not old:
            share_grant(actor=world.student, recording=recording, username="tom", now=NOW)
            tom = world.api(world.trainer)
            assert tom.get(f"/recordings/{recording.pk}").status_code == 200
        made.append(recording)
    return made


def report_queries(world, pupil) -> tuple[int, dict]:
    piet = world.api(world.privacy)
    with CaptureQueriesContext(connection) as queries:
        response = piet.get(f"/pupils/{pupil.pk}/report")
    assert response.status_code == 200, response.content
    return len(queries.captured_queries), response.json()


def test_the_report_costs_the_same_queries_for_three_recordings_as_for_twelve(
    world, pupils, vault_home, time_machine
):
    time_machine.move_to(NOW, tick=False)
    add_recordings(world, pupils.ada, 1, old=True)
    sweep(NOW)  # a tombstone: a deleted recording the report lists too
    add_recordings(world, pupils.ada, 2)
    few, report = report_queries(world, pupils.ada)
    assert len(report["recordings"]) == 3

    add_recordings(world, pupils.ada, 3, old=True)
    sweep(NOW)
    add_recordings(world, pupils.ada, 6)
    many, report = report_queries(world, pupils.ada)
    assert len(report["recordings"]) == 12
    assert many == few  # 33 (3 recordings) and 75 (12) before issue 15
    # What it says per recording is still there: the share, the view, who has access now.
    living = [r for r in report["recordings"] if not r["deleted"]]
    assert len(living) == 8
    for row in living:
        assert row["shared_with"] == ["tom"]
        assert [v["actor"] for v in row["viewers"]] == ["tom"]
        assert {a["username"] for a in row["has_access_now"]} >= {"sanne", "mira", "tom", "piet"}
    assert sum(r["deleted"] for r in report["recordings"]) == 4
