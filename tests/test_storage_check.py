"""An unsupported blob store URL is refused at start by a system check (issue 9, 12g)."""

import pytest
from django.core.checks import run_checks


def _storage_errors() -> list:
    return [m for m in run_checks(tags=["classvault"]) if m.id == "classvault.E005"]


@pytest.mark.parametrize("url", ["s3://bucket/prefix", "gs://bucket", "ftp://x",
                                 "file://host/path", "file://relative", "/no/scheme"])
def test_an_unsupported_storage_url_is_an_error(settings, url):
    settings.CLASSVAULT_STORAGE_URL = url
    [error] = _storage_errors()
    assert "CLASSVAULT_STORAGE_URL" in error.msg and "file://" in error.hint


def test_a_file_url_passes(settings, tmp_path):
    settings.CLASSVAULT_STORAGE_URL = f"file://{tmp_path / 'blobs'}"
    assert _storage_errors() == []


def test_the_default_passes():
    assert _storage_errors() == []
