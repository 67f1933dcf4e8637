"""Reads about people."""

from .models import GuidelinesAcknowledgement, GuidelinesVersion, User


def guidelines_current() -> GuidelinesVersion | None:
    return GuidelinesVersion.objects.first()


def guidelines_accepted(*, user: User) -> bool:
    """True when the user accepted the current version of the guidelines."""
    current = guidelines_current()
    return current is not None and GuidelinesAcknowledgement.objects.filter(
        user=user, version=current
    ).exists()
