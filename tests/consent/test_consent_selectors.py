"""The reads the recordings app builds on: who lacks consent among the pupils present."""

import uuid

import pytest

from classvault.consent.selectors import pupils_get_for_school, pupils_lacking_consent
from classvault.core.exceptions import Invalid


def ids(*pupils) -> list[str]:
    return [str(p.pk) for p in pupils]


def test_lacking_recording_consent(world, pupils):
    present = ids(pupils.ada, pupils.bram, pupils.cas, pupils.dewi)
    assert pupils_lacking_consent(pupil_ids=present, school=world.north,
                                  scope="recording") == ids(pupils.cas)


def test_lacking_peer_viewing_consent_keeps_the_order_asked(world, pupils):
    present = ids(pupils.cas, pupils.ada, pupils.bram)
    assert pupils_lacking_consent(pupil_ids=present, school=world.north,
                                  scope="peer_viewing") == ids(pupils.cas, pupils.bram)


def test_everyone_consented(world, pupils):
    assert pupils_lacking_consent(pupil_ids=ids(pupils.ada), school=world.north,
                                  scope="peer_viewing") == []
    assert pupils_lacking_consent(pupil_ids=[], school=world.north, scope="recording") == []


def test_ids_are_canonical_and_counted_once(world, pupils):
    raw = str(pupils.cas.pk).upper()
    assert pupils_lacking_consent(pupil_ids=[raw, str(pupils.cas.pk)], school=world.north,
                                  scope="recording") == ids(pupils.cas)


@pytest.mark.parametrize("bad", ["not-a-uuid", str(uuid.uuid4()), ""])
def test_unknown_ids_are_refused_not_treated_as_consenting(world, pupils, bad):
    with pytest.raises(Invalid) as info:
        pupils_lacking_consent(pupil_ids=[str(pupils.ada.pk), bad], school=world.north,
                               scope="recording")
    assert info.value.extra["unknown_pupils"] == [bad]


def test_another_schools_pupil_counts_as_unknown(world, pupils):
    with pytest.raises(Invalid) as info:
        pupils_get_for_school(school=world.north, pupil_ids=ids(pupils.ada, pupils.eva))
    assert info.value.extra["unknown_pupils"] == ids(pupils.eva)


def test_get_for_school_returns_pupils_in_order(world, pupils):
    found = pupils_get_for_school(school=world.north, pupil_ids=ids(pupils.dewi, pupils.ada))
    assert found == [pupils.dewi, pupils.ada]


def test_unknown_scope_is_a_programming_error(world, pupils):
    with pytest.raises(ValueError):
        pupils_lacking_consent(pupil_ids=[], school=world.north, scope="everything")


def test_lacking_consent_is_one_query(world, pupils, django_assert_num_queries):
    present = ids(pupils.ada, pupils.bram, pupils.cas, pupils.dewi)
    with django_assert_num_queries(1):
        pupils_lacking_consent(pupil_ids=present, school=world.north, scope="recording")
