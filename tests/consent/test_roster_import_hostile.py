"""A roster file holds the same input rules as every other input (issue 9, findings 8, 9).

A NUL character in a roster was a 500 on PostgreSQL when applied; a year-1 date of birth
was accepted.
"""

import pytest
from test_roster_import import ROSTER, upload

from classvault.consent.models import Pupil
from support.personas import login

pytestmark = pytest.mark.usefixtures("at_now")


@pytest.mark.parametrize("apply", [False, True])
@pytest.mark.parametrize(
    "roster", [ROSTER.replace("Bram", "Br\x00am"), ROSTER.replace("1003;Cas", "10\x0003;Cas")]
)
def test_a_roster_with_a_nul_is_422_and_nothing_is_imported(world, roster, apply):
    response = upload(login("saskia"), roster, apply=apply)
    assert response.status_code == 422, response.content
    assert "NUL" in response.json()["detail"]
    assert not Pupil.objects.filter(external_id__in=["1001", "1002"]).exists()


def test_a_roster_in_utf16_with_a_nul_is_refused_too(world):
    response = upload(
        login("saskia"), ROSTER.replace("Bram", "Br\x00am").encode("utf-16"), apply=True
    )
    assert response.status_code == 422, response.content


def test_a_date_of_birth_before_1900_is_a_row_error(world):
    response = upload(login("saskia"), ROSTER.replace("10-03-2014", "10-03-0001"), apply=True)
    assert response.status_code == 422, response.content
    [error] = response.json()["errors"]
    assert error["line"] == 2 and "1900-01-01" in error["detail"]
    assert not Pupil.objects.filter(external_id="1001").exists()
