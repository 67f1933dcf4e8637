from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RedactionConfig(AppConfig):
    name = "classvault.redaction"
    label = "redaction"
    verbose_name = _("Redaction")

    def ready(self) -> None:
        from classvault.core.health import stalled_work

        from .jobs import redactions_stalled

        # The health check counts redactions a killed worker left behind (core knows none).
        stalled_work.register(redactions_stalled)
