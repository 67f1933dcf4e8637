from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "classvault.retention"
    label = "retention"
    verbose_name = _("Retention")

    def ready(self) -> None:
        from classvault.sharing.hooks import register_kept_after_expiry
        from classvault.vault.epochs import register_epoch_policy

        from .selectors import held
        from .services import epoch_for_recording_key

        # Every new data key of a recording is wrapped under the retention key of its
        # expiry day (or of the recording alone while its expiry is unknown or it is held).
        register_epoch_policy(epoch_for_recording_key)
        # A recording under legal hold outlives its expiry for the privacy officer only; the
        # visibility rule (sharing, below us) asks through this hook.
        register_kept_after_expiry(held)
