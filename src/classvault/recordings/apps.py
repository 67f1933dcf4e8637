from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordingsConfig(AppConfig):
    name = "classvault.recordings"
    label = "recordings"
    verbose_name = _("Recordings")

    def ready(self) -> None:
        from classvault.consent.services import register_withdrawal_handler

        from .services import recordings_block_for_withdrawal

        register_withdrawal_handler(recordings_block_for_withdrawal)
