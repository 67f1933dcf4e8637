"""A screening is a meeting: it ends in the future and lasts at most
CLASSVAULT_SCREENING_MAX_HOURS (4 by default); longer -> 422. It may have started already,
so it never started more than that long ago."""

from datetime import datetime, timedelta

import pytest

from classvault.recordings.models import Recording
from classvault.sharing.models import Screening
from support.personas import TODAY, login
from support.recordings import make_recording

SECOND = timedelta(seconds=1)
HOURS = timedelta(hours=4)


@pytest.fixture
def ready(studio, small_video):
    return str(make_recording(studio.student, video=small_video, pupils=[studio.pupils.ada.pk]).pk)


def schedule(recording_id, starts_at: datetime, ends_at: datetime, mode="online"):
    return login("sanne").post(
        f"/recordings/{recording_id}/screenings",
        {
            "mode": mode,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "attendees": ["femke"],
        },
    )


def test_the_default_maximum_is_four_hours(settings):
    assert settings.CLASSVAULT_SCREENING_MAX_HOURS == 4


@pytest.mark.parametrize("mode", ["online", "live"])
@pytest.mark.parametrize(
    ("length", "status"),
    [(HOURS - SECOND, 201), (HOURS, 201), (HOURS + SECOND, 422)],
    ids=["-1s", "0s", "+1s"],
)
def test_a_screening_lasts_at_most_the_maximum(ready, mode, length, status):
    starts_at = TODAY + timedelta(days=1)
    response = schedule(ready, starts_at, starts_at + length, mode=mode)
    assert response.status_code == status, response.content
    assert Screening.objects.count() == (status == 201)


def test_the_maximum_is_a_setting(ready, settings):
    settings.CLASSVAULT_SCREENING_MAX_HOURS = 1
    starts_at = TODAY + timedelta(days=1)
    assert schedule(ready, starts_at, starts_at + timedelta(hours=1) + SECOND).status_code == 422
    response = schedule(ready, starts_at, starts_at + timedelta(hours=1))
    assert response.status_code == 201
    assert (
        "1"
        in login("sanne")
        .post(
            f"/recordings/{ready}/screenings",
            {
                "mode": "online",
                "starts_at": starts_at.isoformat(),
                "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
                "attendees": ["femke"],
            },
        )
        .json()["detail"]
    )


@pytest.mark.parametrize(
    ("ends_in", "status"),
    [(-SECOND, 422), (timedelta(0), 422), (SECOND, 201)],
    ids=["-1s", "0s", "+1s"],
)
def test_a_screening_must_end_in_the_future(ready, ends_in, status):
    """The clock reads TODAY; a meeting that already runs may be planned, one that ended not."""
    ends_at = TODAY + ends_in
    assert schedule(ready, ends_at - timedelta(hours=1), ends_at).status_code == status


@pytest.mark.parametrize(
    ("started_ago", "status"),
    [(HOURS - 2 * SECOND, 201), (HOURS - SECOND, 201), (HOURS, 422)],
    ids=["-1s", "0s", "+1s"],
)
def test_a_running_meeting_started_at_most_the_maximum_ago(ready, started_ago, status):
    """Ending one second from now, it may have started up to four hours minus that second
    ago: the start can never lie further in the past than the maximum length."""
    response = schedule(ready, TODAY - started_ago, TODAY + SECOND)
    assert response.status_code == status, response.content


def test_a_six_month_screening_is_refused(ready):
    """The finding: from 2000 until just before expiry was accepted as one 'meeting'."""
    expires_at = Recording.objects.get(pk=ready).expires_at
    response = schedule(
        ready, datetime.fromisoformat("2000-01-01T09:00:00+01:00"), expires_at - SECOND
    )
    assert response.status_code == 422
    assert "4" in response.json()["detail"]
    assert not Screening.objects.exists()
