"""Hooks the recordings app runs for the apps above it (see classvault.core.hooks)."""

from datetime import datetime
from typing import Protocol

from classvault.core.hooks import Hook
from classvault.people.models import User

from .models import Recording


class RecordingHandler(Protocol):
    def __call__(self, *, recording: Recording, now: datetime, actor: User | None) -> None: ...


recording_created: Hook[RecordingHandler] = Hook("recordings.recording_created")
"""Run inside the transaction that registers a new recording, with its row written:
retention moves the original's data key under the retention key of its expiry day (R9)."""
