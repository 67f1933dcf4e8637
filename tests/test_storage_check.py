"""An unsupported blob store URL is refused at start by a system check (issue 9, 12g)."""

import pytest
from django.core.checks import run_checks


def _storage_errors() -> list:
    return [m for m in run_checks(tags=["classvault"]) if m.id == "classvault.E005"]


@pytest.mark.parametrize(
    "url",
    [
        "s3://bucket/prefix",
        "gs://bucket",
        "ftp://x",
        "file://host/path",
        "file://relative",
        "/no/scheme",
    ],
)
def test_an_unsupported_storage_url_is_an_error(settings, url):
    settings.CLASSVAULT_STORAGE_URL = url
    [error] = _storage_errors()
    assert "CLASSVAULT_STORAGE_URL" in error.msg and "file://" in error.hint


def test_a_file_url_passes(settings, tmp_path):
    settings.CLASSVAULT_STORAGE_URL = f"file://{tmp_path / 'blobs'}"
    assert _storage_errors() == []


def test_the_default_passes():
    assert _storage_errors() == []


# --- issue 9, outside attack 5: a URL the store cannot use is refused too ----------------------


def test_a_file_url_naming_an_existing_file_is_an_error(settings, tmp_path):
    existing = tmp_path / "a-file"
    existing.write_text("not a folder")
    settings.CLASSVAULT_STORAGE_URL = f"file://{existing}"
    [error] = _storage_errors()
    assert "not a folder" in error.msg


def test_a_file_url_below_an_existing_file_is_an_error(settings, tmp_path):
    existing = tmp_path / "a-file"
    existing.write_text("not a folder")
    settings.CLASSVAULT_STORAGE_URL = f"file://{existing}/blobs"
    [error] = _storage_errors()
    assert "cannot be created" in error.msg


def test_a_file_url_with_a_nul_is_an_error_not_a_crash(settings, tmp_path):
    settings.CLASSVAULT_STORAGE_URL = f"file://{tmp_path}/blobs%00x"
    [error] = _storage_errors()
    assert "NUL" in error.msg


def test_an_existing_folder_passes(settings, tmp_path):
    settings.CLASSVAULT_STORAGE_URL = f"file://{tmp_path}"
    assert _storage_errors() == []
