from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "classvault.people"
    label = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from .lockouts import on_locked_out

        user_locked_out.connect(on_locked_out, dispatch_uid="classvault.people.lockouts")
