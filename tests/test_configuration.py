"""System checks for dangerous configuration, and the API's JSON errors."""

import os
import runpy
from io import StringIO

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from classvault import settings as settings_module
from classvault.settings import env_bool
from support.personas import Api


def _ids(**kwargs):
    return {m.id for m in run_checks(**kwargs)}


def test_missing_secret_key_blocks_serving(settings):
    settings.CLASSVAULT_SECRET_KEY_MISSING = True
    assert "classvault.E001" in _ids(include_deployment_checks=True, tags=["classvault"])
    # ... but not migrate and the other management commands.
    assert "classvault.E001" not in _ids()


def test_short_secret_key_is_an_error(settings):
    settings.CLASSVAULT_SECRET_KEY_MISSING = False
    settings.SECRET_KEY = "short"
    assert "classvault.E002" in _ids()


def test_key_file_readable_by_others_is_an_error(settings, tmp_path):
    key = tmp_path / "master.key"
    key.write_text("00" * 32)
    os.chmod(key, 0o644)
    settings.CLASSVAULT_MASTER_KEY_FILE = key
    assert "classvault.E003" in _ids()
    os.chmod(key, 0o600)
    assert "classvault.E003" not in _ids()


def test_retention_key_folder_open_to_others_is_an_error(settings, tmp_path):
    settings.CLASSVAULT_MASTER_KEY_FILE = tmp_path / "master.key"
    folder = tmp_path / "retention-keys"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    assert "classvault.E003" in _ids()
    os.chmod(folder, 0o700)
    assert "classvault.E003" not in _ids()


def test_debug_is_a_warning(settings):
    settings.DEBUG = True
    assert "classvault.W001" in _ids()


def test_public_host_without_https_is_a_warning(settings):
    settings.ALLOWED_HOSTS = ["classvault.example.org"]
    settings.CLASSVAULT_HTTPS = False
    assert "classvault.W002" in _ids()
    settings.CLASSVAULT_HTTPS = True
    assert "classvault.W002" not in _ids()


def test_models_and_migrations_agree(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


def test_unknown_api_path_is_json_404(db):
    response = Api().get("/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    "value,expected",
    [
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("yes", True),
        ("On", True),
        (" yes ", True),
        ("false", False),
        ("False", False),
        ("0", False),
        ("no", False),
        ("OFF", False),
    ],
)
def test_a_switch_reads_the_accepted_words(monkeypatch, value, expected):
    monkeypatch.setenv("CLASSVAULT_SWITCH", value)
    assert env_bool("CLASSVAULT_SWITCH", default=not expected) is expected


@pytest.mark.parametrize("value", [None, "", "  "])
@pytest.mark.parametrize("default", [True, False])
def test_an_unset_or_empty_switch_is_its_default(monkeypatch, value, default):
    monkeypatch.delenv("CLASSVAULT_SWITCH", raising=False)
    if value is not None:
        monkeypatch.setenv("CLASSVAULT_SWITCH", value)
    assert env_bool("CLASSVAULT_SWITCH", default=default) is default


@pytest.mark.parametrize("value", ["ture", "2", "enabled", "y", "nee"])
def test_a_switch_refuses_any_other_word(monkeypatch, value):
    monkeypatch.setenv("CLASSVAULT_SWITCH", value)
    with pytest.raises(ImproperlyConfigured) as info:
        env_bool("CLASSVAULT_SWITCH", default=True)
    message = str(info.value)
    assert f"CLASSVAULT_SWITCH='{value}'" in message
    for word in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        assert word in message


def test_a_mistyped_https_switch_stops_the_settings_from_loading(monkeypatch):
    monkeypatch.setenv("CLASSVAULT_HTTPS", "ture")
    with pytest.raises(ImproperlyConfigured, match="CLASSVAULT_HTTPS"):
        runpy.run_path(settings_module.__file__)
    monkeypatch.setenv("CLASSVAULT_HTTPS", "TRUE")
    assert runpy.run_path(settings_module.__file__)["CLASSVAULT_HTTPS"] is True
