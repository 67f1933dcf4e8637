from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "classvault.sharing"
    label = "sharing"
    verbose_name = _("Sharing")

    def ready(self) -> None:
        from classvault.consent.services import register_withdrawal_handler

        from .screenings import screenings_cancel_for_withdrawal

        register_withdrawal_handler(screenings_cancel_for_withdrawal)
