from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordingsConfig(AppConfig):
    name = "classvault.recordings"
    label = "recordings"
    verbose_name = _("Recordings")

    def ready(self) -> None:
        from classvault.consent.services import consent_withdrawn
        from classvault.core.health import stalled_work

        from .jobs import recordings_stalled
        from .services import recordings_block_for_withdrawal

        # A withdrawal of all consent blocks every recording the pupil takes part in (R14).
        consent_withdrawn.register(recordings_block_for_withdrawal)
        # The health check counts transcodes a killed worker left behind (core knows none).
        stalled_work.register(recordings_stalled)
