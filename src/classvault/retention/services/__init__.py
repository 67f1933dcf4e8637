"""Writes about retention (R9, R4, R1): expiry and retention keys, legal holds, the sweep,
deadline reminders. One module per concern; import from here."""

from .expiry import (
    recording_retention_key_apply,
    recordings_expiry_follow_enrolment,
    recordings_expiry_recompute,
    retention_key_for_recording,
    retention_keys_close,
    retention_keys_sync,
)
from .holds import legal_hold_place, legal_hold_release
from .reminders import REMINDER_DAYS, reminders_send
from .sweep import (
    recording_delete,
    recording_destroy,
    retention_run,
    retention_sweep,
    tombstones_finish,
)

__all__ = [
    "REMINDER_DAYS",
    "legal_hold_place",
    "legal_hold_release",
    "recording_delete",
    "recording_destroy",
    "recording_retention_key_apply",
    "recordings_expiry_follow_enrolment",
    "recordings_expiry_recompute",
    "reminders_send",
    "retention_key_for_recording",
    "retention_keys_close",
    "retention_keys_sync",
    "retention_run",
    "retention_sweep",
    "tombstones_finish",
]
