from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RightsConfig(AppConfig):
    name = "classvault.rights"
    label = "rights"
    verbose_name = _("Data-subject rights")

    def ready(self) -> None:
        # Imported here: models are not loaded before ready().
        from classvault.retention.hooks import schedule_ran

        from .services import request_reminders_send

        # The retention schedule runs every interval in the worker; the reminders of the
        # deadlines of data-subject requests ride along (rights sits above retention).
        schedule_ran.register(request_reminders_send)
