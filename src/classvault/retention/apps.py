from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "classvault.retention"
    label = "retention"
    verbose_name = _("Retention")

    def ready(self) -> None:
        from classvault.vault.epochs import register_epoch_policy

        from .services import epoch_for_recording_key

        # Every new data key of a recording is wrapped under the retention key of its
        # expiry day (or of the recording alone while its expiry is unknown or it is held).
        register_epoch_policy(epoch_for_recording_key)
