"""An unsupported blob store URL is refused at start by a system check (issue 9, 12g); so is
an S3 bucket that does not answer (issue 15)."""

import pytest
from django.core.checks import run_checks


def _storage_errors() -> list:
    return [m for m in run_checks(tags=["classvault"]) if m.id == "classvault.E005"]


@pytest.mark.parametrize(
    "url",
    [
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
    assert "s3://bucket" in error.hint


def test_a_reachable_s3_bucket_passes(s3_storage):
    assert _storage_errors() == []


def test_a_missing_bucket_is_an_error(settings, s3_bucket):
    settings.CLASSVAULT_STORAGE_URL = s3_bucket.url.replace(s3_bucket.name, "no-such-bucket-cv")
    [error] = _storage_errors()
    assert "does not answer" in error.msg and "NoSuchBucket" in error.msg


def test_wrong_s3_credentials_are_an_error(s3_storage, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    [error] = _storage_errors()
    assert "does not answer" in error.msg


def test_an_s3_endpoint_nobody_answers_is_an_error(settings, s3_bucket):
    settings.CLASSVAULT_STORAGE_URL = f"s3://{s3_bucket.name}/x?endpoint_url=http://127.0.0.1:9"
    [error] = _storage_errors()
    assert "does not answer" in error.msg


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
