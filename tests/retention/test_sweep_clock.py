"""The sweep against an injected clock: -1 s, 0 and +1 s around the expiry, across DST."""

from datetime import UTC, date, datetime, timedelta

import pytest

from classvault.core.time import AMSTERDAM
from classvault.people.services import enrolment_set
from classvault.recordings.models import Recording
from classvault.recordings.rules import days_left
from support.personas import NOW
from support.recordings import make_recording
from support.vault import sweep

SECOND = timedelta(seconds=1)


@pytest.fixture
def home(world, vault_home):
    return world


def test_six_months_later_at_the_same_local_time_across_the_dst_change(home):
    # Recorded in winter time (UTC+1), expires in summer time (UTC+2): 10:00 local both.
    recording = make_recording(home.student, recorded_at=NOW)
    expiry = datetime(2027, 5, 2, 10, 0, tzinfo=AMSTERDAM)
    assert recording.expires_at == expiry == datetime(2027, 5, 2, 8, 0, tzinfo=UTC)
    assert sweep(expiry - SECOND) == []
    assert Recording.objects.filter(pk=recording.pk).exists()
    assert sweep(expiry) == [str(recording.pk)]
    assert not Recording.objects.filter(pk=recording.pk).exists()
    assert sweep(expiry + SECOND) == []


def test_one_second_after_is_as_gone_as_exactly_at(home):
    recording = make_recording(home.student, recorded_at=NOW)
    assert sweep(recording.expires_at + SECOND) == [str(recording.pk)]


def test_a_naive_utc_plus_one_reckoning_would_be_an_hour_late(home):
    # 2 May 09:00 UTC is what "10:00 at the winter offset" would give: by then it is gone.
    recording = make_recording(home.student, recorded_at=NOW)
    assert sweep(datetime(2027, 5, 2, 8, 59, 59, tzinfo=UTC)) == [str(recording.pk)]


def test_study_end_on_the_day_the_clocks_go_forward(home):
    # 28 March 2027: summer time starts. Its end is 00:00 CEST on 29 March = 22:00 UTC.
    enrolment_set(
        actor=home.admin,
        username="sanne",
        school_code="NOORD",
        study_end=date(2027, 3, 28),
        trainers=["tom"],
        supervisors=[],
        now=NOW,
    )
    recording = make_recording(home.student, recorded_at=NOW)
    end = datetime(2027, 3, 28, 22, 0, tzinfo=UTC)
    assert recording.expires_at == end
    assert days_left(end, end - SECOND) == 0  # the study-end day itself is the last day
    assert sweep(end - SECOND) == []
    assert sweep(end) == [str(recording.pk)]


def test_study_end_on_the_day_the_clocks_go_back(home):
    # 31 October 2027: winter time starts; the day has 25 hours. End = 23:00 UTC.
    enrolment_set(
        actor=home.admin,
        username="sanne",
        school_code="NOORD",
        study_end=date(2027, 10, 31),
        trainers=[],
        supervisors=[],
        now=NOW,
    )
    recording = make_recording(
        home.student, recorded_at=datetime(2027, 10, 1, 9, 0, tzinfo=AMSTERDAM)
    )
    end = datetime(2027, 10, 31, 23, 0, tzinfo=UTC)
    assert recording.expires_at == end
    assert sweep(end - SECOND) == []
    assert sweep(end) == [str(recording.pk)]


@pytest.mark.parametrize(
    "now,left",
    [
        (datetime(2027, 5, 1, 23, 59, 59, tzinfo=AMSTERDAM), 1),
        (datetime(2027, 5, 2, 0, 0, 0, tzinfo=AMSTERDAM), 0),
        (datetime(2027, 5, 2, 9, 59, 59, tzinfo=AMSTERDAM), 0),
        (datetime(2027, 5, 2, 10, 0, 1, tzinfo=AMSTERDAM), 0),
        (datetime(2027, 3, 28, 12, 0, tzinfo=AMSTERDAM), 35),  # across the DST change
        (NOW, 181),
    ],
)
def test_days_left_counts_amsterdam_calendar_days(now, left):
    assert days_left(datetime(2027, 5, 2, 10, 0, tzinfo=AMSTERDAM), now) == left
