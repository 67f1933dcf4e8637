"""The health check's detail tells the truth about the blob store (issue 15): one cheap real
request to the folder or the bucket; a store that does not answer degrades the detail and
warns the privacy officer. The public health check stays cheap and knows nothing of it."""

import pytest
from django.conf import settings
from django.utils import timezone

from classvault.core.health import health_detail
from classvault.core.models import WorkerHeartbeat
from support.personas import Api, web_login
from support.s3 import s3_environment


@pytest.fixture
def beating(db):
    """A live worker, at the real time: S3 refuses requests signed at a frozen clock."""
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="host:1", seen_at=now, started_at=now)


def english_page(user) -> str:
    client = web_login(user.username)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.get("/").content.decode()


def test_the_file_store_is_ok(world, beating):
    assert health_detail(now=timezone.now()).storage_ok
    body = world.api(world.privacy).get("/health/detail").json()
    assert (body["status"], body["storage"]) == ("ok", "ok")


def test_a_blob_folder_that_cannot_be_written_is_unavailable(world, beating, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.CLASSVAULT_STORAGE_URL = f"file://{blocker}"
    body = world.api(world.admin).get("/health/detail").json()
    assert (body["status"], body["storage"], body["database"]) == (
        "degraded",
        "unavailable",
        "ok",
    )
    assert 'id="storage-warning"' in english_page(world.privacy)
    dutch = web_login(world.privacy.username)
    assert "De opslag van de opnames antwoordt niet" in dutch.get("/").content.decode()


def test_a_reachable_bucket_is_ok(world, beating, s3_storage):
    body = world.api(world.privacy).get("/health/detail").json()
    assert (body["status"], body["storage"]) == ("ok", "ok")
    assert 'id="storage-warning"' not in english_page(world.privacy)


def test_a_bucket_that_is_gone_is_unavailable(world, beating, s3_storage, caplog):
    client = s3_storage.server.client()
    client.put_bucket_versioning(
        Bucket=s3_storage.name, VersioningConfiguration={"Status": "Suspended"}
    )
    client.delete_bucket(Bucket=s3_storage.name)
    body = world.api(world.privacy).get("/health/detail").json()
    assert (body["status"], body["storage"]) == ("degraded", "unavailable")
    assert "NoSuchBucket" in caplog.text
    page = english_page(world.privacy)
    assert "The storage of the recordings does not answer" in page


def test_wrong_credentials_are_unavailable(world, beating, s3_storage, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    assert world.api(world.privacy).get("/health/detail").json()["storage"] == "unavailable"


def test_a_store_that_does_not_answer_is_reported_within_seconds(
    world, beating, settings, monkeypatch
):
    # A listening socket that never answers: the probe gives up instead of hanging.
    import socket
    import time

    s3_environment(monkeypatch)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        settings.CLASSVAULT_STORAGE_URL = (
            f"s3://silent-bucket/x?endpoint_url=http://127.0.0.1:{port}"
        )
        started = time.monotonic()
        body = world.api(world.privacy).get("/health/detail").json()
        assert body["storage"] == "unavailable"
        # It did wait for an answer (credentials were there), but only its read timeout.
        assert 4 < time.monotonic() - started < 15


def test_the_public_check_does_not_touch_the_store(db, settings, tmp_path):
    settings.CLASSVAULT_STORAGE_URL = "s3://no-such-bucket-cv/x?endpoint_url=http://127.0.0.1:9"
    assert Api().get("/health").json() == {"status": "ok"}


@pytest.mark.parametrize("persona", ["school_admin", "student", "trainer", "supervisor"])
def test_the_detail_stays_for_the_officer_and_admin(world, persona):
    assert world.api(getattr(world, persona)).get("/health/detail").status_code == 403
