"""The one place that reads the wall clock.

Services and selectors take ``now``; interfaces call :func:`now` once per operation and pass
it on. Tests pass their own instant or freeze time.
"""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    return timezone.now()
