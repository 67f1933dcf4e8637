"""System checks that refuse or warn about dangerous configuration."""

import stat
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Warning, register


def _mode_too_open(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def key_files_too_open(paths: list[Path]) -> list[Error]:
    """classvault.E003 for every existing key file or key folder others may read.

    The apps that own key files (audit, vault) register their own checks with this."""
    return [
        Error(
            f"{path} is readable by others than its owner.",
            hint=f"chmod {'700' if path.is_dir() else '600'} {path}",
            id="classvault.E003",
        )
        for path in paths
        if path.exists() and _mode_too_open(path)
    ]


@register("classvault", deploy=True)
def check_ready_to_serve(app_configs=None, **kwargs):
    """Run by ``classvault serve`` (and ``check --deploy``): management commands such as
    ``migrate`` must still work before ``classvault init`` wrote the key."""
    problems = []
    if settings.CLASSVAULT_SECRET_KEY_MISSING:
        problems.append(
            Error(
                "No secret key is configured.",
                hint="Run `classvault init`, or set CLASSVAULT_SECRET_KEY(_FILE).",
                id="classvault.E001",
            )
        )
    return problems


@register("classvault")
def check_configuration(app_configs=None, **kwargs):
    problems = []
    if not settings.CLASSVAULT_SECRET_KEY_MISSING and len(settings.SECRET_KEY) < 40:
        problems.append(
            Error("The secret key is shorter than 40 characters.", id="classvault.E002")
        )
    problems += key_files_too_open([Path(settings.CLASSVAULT_SECRET_KEY_FILE)])
    if settings.DEBUG:
        problems.append(
            Warning(
                "CLASSVAULT_DEBUG is on: error pages show internals.",
                hint="Never run with debug on where real recordings are kept.",
                id="classvault.W001",
            )
        )
    if not settings.CLASSVAULT_HTTPS and any(
        h not in {"127.0.0.1", "localhost", "::1", "testserver"} for h in settings.ALLOWED_HOSTS
    ):
        problems.append(
            Warning(
                "The site answers on a non-loopback host without HTTPS: cookies are not Secure.",
                hint="Serve behind TLS and set CLASSVAULT_HTTPS=true.",
                id="classvault.W002",
            )
        )
    return problems
