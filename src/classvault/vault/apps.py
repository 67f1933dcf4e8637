from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VaultConfig(AppConfig):
    name = "classvault.vault"
    label = "vault"
    verbose_name = _("Vault")

    def ready(self) -> None:
        from classvault.core.health import storage_problem

        from . import checks  # registers the system checks

        # The health check asks the vault whether its blob store answers (core knows none).
        storage_problem.register(checks.storage_problem)
