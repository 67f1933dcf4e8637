"""Who signs: the pupil's age on the day of signing (R13). 16 and older: the pupil."""

from datetime import date

import pytest

from classvault.consent.rules import age_on, signer_required
from support.pupils import add, consent_body, withdraw_body

# The personas were made at NOW; these tests run at that moment too.
pytestmark = pytest.mark.usefixtures("at_now")


@pytest.mark.parametrize(
    "born,day,age",
    [
        (date(2010, 11, 2), date(2026, 11, 2), 16),  # the 16th birthday itself
        (date(2010, 11, 2), date(2026, 11, 1), 15),  # the day before
        (date(2010, 11, 2), date(2026, 11, 3), 16),
        (date(2010, 1, 1), date(2025, 12, 31), 15),  # across a year end
        (date(2010, 1, 1), date(2026, 1, 1), 16),
        (date(2008, 2, 29), date(2024, 2, 28), 15),  # leap-day birth, leap 16th birthday
        (date(2008, 2, 29), date(2024, 2, 29), 16),
        (date(2008, 2, 29), date(2025, 2, 28), 16),  # common year: not yet 17 on 28 Feb
        (date(2008, 2, 29), date(2025, 3, 1), 17),  # ...but on 1 March
        (date(2084, 2, 29), date(2100, 2, 28), 15),  # 2100 is no leap year: 16 on 1 March
        (date(2084, 2, 29), date(2100, 3, 1), 16),
        (date(2015, 6, 1), date(2015, 6, 1), 0),
        (date(2015, 6, 1), date(2015, 5, 31), -1),  # before birth
    ],
)
def test_age_on(born, day, age):
    assert age_on(born, day) == age


def test_signer_changes_on_the_16th_birthday():
    born = date(2010, 11, 2)
    assert signer_required(born, date(2026, 11, 1)) == "guardian"
    assert signer_required(born, date(2026, 11, 2)) == "pupil"


def test_leap_day_birth_turns_16_on_1_march_in_a_common_year():
    born = date(2084, 2, 29)
    assert signer_required(born, date(2100, 2, 28)) == "guardian"
    assert signer_required(born, date(2100, 3, 1)) == "pupil"


# --- through the API ------------------------------------------------------------------


@pytest.fixture
def sixteen_today(world):
    """Born 2 November 2010: 16 on NOW's day, 15 the day before."""
    return add(world.school_admin, "1600", "Zestien Jaar", date(2010, 11, 2), "4H")


@pytest.mark.parametrize(
    "signed_on,given_by,status",
    [
        ("2026-11-02", "pupil", 201),
        ("2026-11-02", "guardian", 422),
        ("2026-11-01", "guardian", 201),
        ("2026-11-01", "pupil", 422),
    ],
)
def test_consent_signer_follows_age_on_signed_on(world, sixteen_today, signed_on, given_by, status):
    response = world.api(world.school_admin).post(
        f"/pupils/{sixteen_today.pk}/consent",
        consent_body(signed_on=signed_on, given_by=given_by),
    )
    assert response.status_code == status, response.content


@pytest.mark.parametrize(
    "signed_on,given_by,status",
    [
        ("2024-02-28", "guardian", 201),
        ("2024-02-28", "pupil", 422),
        ("2024-02-29", "pupil", 201),
        ("2024-02-29", "guardian", 422),
    ],
)
def test_leap_day_birth_signs_from_29_february_of_a_leap_year(world, signed_on, given_by, status):
    pupil = add(world.school_admin, "2902", "Schrikkel Kind", date(2008, 2, 29), "ex")
    response = world.api(world.school_admin).post(
        f"/pupils/{pupil.pk}/consent", consent_body(signed_on=signed_on, given_by=given_by)
    )
    assert response.status_code == status, response.content


@pytest.mark.parametrize(
    "on,by,status",
    [
        ("2026-11-02", "pupil", 200),
        ("2026-11-02", "guardian", 422),
        ("2026-11-01", "guardian", 200),
        ("2026-11-01", "pupil", 422),
    ],
)
def test_withdrawal_follows_the_same_age_rule(world, sixteen_today, on, by, status):
    api = world.api(world.school_admin)
    api.post(
        f"/pupils/{sixteen_today.pk}/consent",
        consent_body(signed_on="2026-10-01", given_by="guardian"),
    )
    response = api.post(f"/pupils/{sixteen_today.pk}/consent/withdraw", withdraw_body(on=on, by=by))
    assert response.status_code == status, response.content
