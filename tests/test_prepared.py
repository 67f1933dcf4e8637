"""core/prepared.py compiles a queryset once from stand-in values: it must refuse any
queryset whose SQL would keep something of the stand-ins for later callers."""

from datetime import timedelta

import pytest

from classvault.core.prepared import prepared_values
from classvault.recordings.models import Recording
from support.personas import NOW


def test_a_value_passed_through_is_filled_in_per_call(world):
    def build(v):
        return Recording.objects.filter(expires_at__gt=v["now"]).values("pk").order_by("pk")

    assert prepared_values(("t", 1), build, {"now": NOW}, limit=5) == []


@pytest.mark.parametrize(
    "build",
    [
        # an instant computed from the stand-in for `now`
        lambda v: Recording.objects.filter(expires_at__gt=v["now"] - timedelta(days=1)),
        # a day computed from it
        lambda v: Recording.objects.filter(recorded_at__date=v["now"].date()),
        # an id computed from the stand-in for the actor
        lambda v: Recording.objects.filter(owner_id=v["actor"] + 1),
    ],
    ids=["instant", "day", "id"],
)
def test_a_value_computed_from_a_stand_in_is_refused(world, build):
    with pytest.raises(ValueError, match="computed from a stand-in|did not reach"):
        prepared_values(
            ("refused", id(build)),
            lambda v: build(v).values("pk").order_by("pk"),
            {"now": NOW, "actor": world.student.pk},
            limit=5,
        )
