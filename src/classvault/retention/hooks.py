"""Where assessments plug in (R1): which recordings still await their assessment.

Assessments are another app's job. Until one registers a filter here, every recording counts
as unassessed, so deadline reminders and the institute's overview cover them all. A filter
takes a queryset of recordings and returns those that are *not* assessed yet, e.g.
``lambda qs: qs.exclude(assessments__isnull=False)``; register it in ``AppConfig.ready``.
"""

from collections.abc import Callable

from django.db.models import QuerySet

UnassessedFilter = Callable[[QuerySet], QuerySet]

unassessed_filters: list[UnassessedFilter] = []


def register_unassessed_filter(narrow: UnassessedFilter) -> UnassessedFilter:
    """Subscribe a filter (usable as a decorator); registering twice is a no-op."""
    if narrow not in unassessed_filters:
        unassessed_filters.append(narrow)
    return narrow
