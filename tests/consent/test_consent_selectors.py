"""The read the recordings app builds on: the pupils present, each one of this school."""

import pytest

from classvault.consent.selectors import pupils_get_for_school
from classvault.core.exceptions import Invalid
from support.personas import UNKNOWN_ID


def ids(*pupils) -> list[str]:
    return [str(p.pk) for p in pupils]


def test_ids_are_canonical_and_counted_once(world, pupils):
    raw = str(pupils.cas.pk).upper()
    assert pupils_get_for_school(school=world.north, pupil_ids=[raw, str(pupils.cas.pk)]) == [
        pupils.cas
    ]


@pytest.mark.parametrize("bad", ["not-a-uuid", UNKNOWN_ID, ""])
def test_unknown_ids_are_refused_not_treated_as_present(world, pupils, bad):
    with pytest.raises(Invalid) as info:
        pupils_get_for_school(school=world.north, pupil_ids=[str(pupils.ada.pk), bad])
    assert info.value.extra["unknown_pupils"] == [bad]


def test_another_schools_pupil_counts_as_unknown(world, pupils):
    with pytest.raises(Invalid) as info:
        pupils_get_for_school(school=world.north, pupil_ids=ids(pupils.ada, pupils.eva))
    assert info.value.extra["unknown_pupils"] == ids(pupils.eva)


def test_get_for_school_returns_pupils_in_order(world, pupils):
    found = pupils_get_for_school(school=world.north, pupil_ids=ids(pupils.dewi, pupils.ada))
    assert found == [pupils.dewi, pupils.ada]


def test_get_for_school_is_one_query(world, pupils, django_assert_num_queries):
    present = ids(pupils.ada, pupils.bram, pupils.cas, pupils.dewi)
    with django_assert_num_queries(1):
        assert pupils_get_for_school(school=world.north, pupil_ids=present) == [
            pupils.ada,
            pupils.bram,
            pupils.cas,
            pupils.dewi,
        ]
