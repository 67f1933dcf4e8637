from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "classvault.retention"
    label = "retention"
    verbose_name = _("Retention")

    def ready(self) -> None:
        from classvault.people.hooks import enrolment_changed
        from classvault.recordings.hooks import recording_created
        from classvault.sharing.hooks import kept_after_expiry_hook
        from classvault.vault.hooks import retention_key_policy

        from .selectors import held
        from .services import (
            recording_retention_key_apply,
            recordings_expiry_follow_enrolment,
            retention_key_for_recording,
        )

        # Every new data key of a recording is wrapped under the retention key of its
        # expiry day (or of the recording alone while its expiry is unknown or it is held).
        retention_key_policy.register(retention_key_for_recording)
        # A new recording's original moves under its expiry day's key at once.
        recording_created.register(recording_retention_key_apply)
        # Expiries follow the student teacher's study end (R9).
        enrolment_changed.register(recordings_expiry_follow_enrolment)
        # A recording under legal hold outlives its expiry for the privacy officer only; the
        # visibility rule (sharing, below us) asks through this hook.
        kept_after_expiry_hook.register(held)
