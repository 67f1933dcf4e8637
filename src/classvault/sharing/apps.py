from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "classvault.sharing"
    label = "sharing"
    verbose_name = _("Sharing")

    def ready(self) -> None:
        from classvault.consent.services import consent_withdrawn
        from classvault.people.hooks import enrolment_changed

        from .screenings import screenings_cancel_for_withdrawal
        from .services import shares_revoke_outside_enrolment

        # A withdrawal cancels the screenings of the pupil's recordings (R8).
        consent_withdrawn.register(screenings_cancel_for_withdrawal)
        # Shares follow the student teacher's coaches (R7).
        enrolment_changed.register(shares_revoke_outside_enrolment)
