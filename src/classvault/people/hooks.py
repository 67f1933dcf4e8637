"""Hooks the people app runs for the apps above it (see classvault.core.hooks)."""

from datetime import datetime
from typing import Protocol

from classvault.core.hooks import Hook

from .models import Enrolment, User


class EnrolmentHandler(Protocol):
    def __call__(self, *, enrolment: Enrolment, actor: User | None, now: datetime) -> None: ...


enrolment_changed: Hook[EnrolmentHandler] = Hook("people.enrolment_changed")
"""Run inside the transaction that placed a student teacher or changed her study end,
trainers or supervisors: retention recomputes the expiry of her recordings (R9), sharing
drops shares with people no longer her coaches (R7)."""
