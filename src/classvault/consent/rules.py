"""Pure rules of consent: age, who signs, the school's day. No clock, no database."""

from datetime import date

from .models import Signer

# From 16 a pupil acts alone; below it the people with parental responsibility act (R13).
AGE_OF_CONSENT = 16


def age_on(date_of_birth: date, day: date) -> int:
    """Whole years of age on ``day``; negative before birth is reported as -1.

    A birthday counts from its own date. Someone born on 29 February has their birthday
    on 1 March in a common year (the day after 28 February), as Dutch law counts it: on
    28 February they are still a year younger. Comparing (month, day) pairs gives exactly
    that, because (2, 28) < (2, 29) < (3, 1).
    """
    if day < date_of_birth:
        return -1
    years = day.year - date_of_birth.year
    if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def signer_required(date_of_birth: date, day: date) -> Signer:
    """Who may sign or withdraw on ``day``: the pupil from 16, a guardian below."""
    return Signer.PUPIL if age_on(date_of_birth, day) >= AGE_OF_CONSENT else Signer.GUARDIAN


def sixteenth_birthday(date_of_birth: date) -> date:
    """The day the pupil turns 16 (1 March for someone born on 29 February, see age_on)."""
    try:
        return date_of_birth.replace(year=date_of_birth.year + AGE_OF_CONSENT)
    except ValueError:
        return date(date_of_birth.year + AGE_OF_CONSENT, 3, 1)
