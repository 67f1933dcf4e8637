"""The S3 blob store on a real S3 server (Ceph RGW): multipart ingest that holds one part in
memory, reads pinned to the opened version in one GET each, deletes of every version,
unfinished uploads aborted, and URLs it cannot use refused clearly."""

import os
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from classvault.vault.blobs import blob_store
from classvault.vault.exceptions import BlobNotFound
from classvault.vault.s3 import MIN_PART_SIZE, OPEN_PREFETCH, S3BlobStore

PART = MIN_PART_SIZE


@pytest.fixture
def store(s3_bucket) -> S3BlobStore:
    return S3BlobStore.from_url(f"{s3_bucket.url}&part_size={PART}")


def pattern(size: int, seed: int = 0) -> bytes:
    return bytes((i * 7 + seed) % 251 for i in range(256)) * (size // 256) + bytes(size % 256)


class Requests:
    """Counts the S3 requests the store's client sends, by operation."""

    def __init__(self, client) -> None:
        self.client = client
        self.seen: list[str] = []

    def __enter__(self):
        self.client.meta.events.register("before-call.s3", self._count)
        return self

    def __exit__(self, *exc) -> None:
        self.client.meta.events.unregister("before-call.s3", self._count)

    def _count(self, model, **kwargs) -> None:
        self.seen.append(model.name)


def test_a_large_blob_goes_up_in_parts_and_reads_back_by_range(store, s3_bucket):
    data = pattern(3 * PART + 12345)
    with Requests(store.client) as sent, store.open_write("rec-1/original.cv") as writer:
        for start in range(0, len(data), 1 << 20):
            writer.write(data[start : start + (1 << 20)])
            # Never more than a part and a minimum part waiting in memory.
            assert len(writer._buffer) < 2 * PART + (1 << 20)
        assert not store.exists("rec-1/original.cv")
        assert s3_bucket.unfinished_uploads() == ["vault/rec-1/original.cv"]
    # Three parts: two while writing (each once a part and a minimum part waited), the
    # rest at commit.
    assert sent.seen.count("UploadPart") == 3 and sent.seen[-1] == "CompleteMultipartUpload"
    assert store.size("rec-1/original.cv") == len(data)
    with store.open_range("rec-1/original.cv") as blob:
        assert blob.size == len(data)
        for offset in (0, 17, PART - 3, 2 * PART + 99, len(data) - 5):
            assert blob.read(offset, 4096) == data[offset : offset + 4096]
    assert s3_bucket.unfinished_uploads() == []


def test_a_small_blob_is_one_put(store):
    with Requests(store.client) as sent:
        store.put_stream("rec-1/poster.cv", [b"abc", b"def"])
    assert sent.seen == ["PutObject"]


def test_opening_reads_size_and_header_at_once_and_each_read_is_one_get(store):
    data = pattern(OPEN_PREFETCH * 4)
    store.put_stream("rec-1/original.cv", [data])
    with Requests(store.client) as sent:
        blob = store.open_range("rec-1/original.cv")
        assert blob.size == len(data) and blob.read(0, 16) == data[:16]
        assert sent.seen == ["GetObject"]
        assert blob.read(OPEN_PREFETCH * 2, 1000) == data[OPEN_PREFETCH * 2 :][:1000]
        assert blob.read(len(data) - 10, 100) == data[-10:]
        assert blob.read(len(data), 100) == b""
    assert sent.seen == ["GetObject"] * 3


def test_a_second_open_costs_no_request_and_a_blob_deleted_elsewhere_still_fails(store, s3_bucket):
    data = pattern(OPEN_PREFETCH * 2)
    store.put_stream("rec-1/rendition.cv", [data])
    store.open_range("rec-1/rendition.cv")
    with Requests(store.client) as sent:
        blob = store.open_range("rec-1/rendition.cv")
        assert blob.size == len(data) and blob.read(0, 16) == data[:16]
        assert sent.seen == []  # size, version and header are remembered
        assert blob.read(OPEN_PREFETCH, 10) == data[OPEN_PREFETCH:][:10]
    assert sent.seen == ["GetObject"]
    # Another process deletes every version (this one's memory cannot know).
    client = s3_bucket.server.client()
    for version in client.list_object_versions(Bucket=s3_bucket.name)["Versions"]:
        client.delete_object(
            Bucket=s3_bucket.name, Key=version["Key"], VersionId=version["VersionId"]
        )
    blob = store.open_range("rec-1/rendition.cv")
    with pytest.raises(BlobNotFound):
        blob.read(OPEN_PREFETCH, 10)
    with pytest.raises(BlobNotFound):
        store.open_range("rec-1/rendition.cv")  # forgotten after the failure


def test_a_seek_in_a_vault_object_is_one_get(store):
    """Every open of a vault object checks its last segment; the second open finds it known."""
    from classvault.vault.segments import SegmentReader, encrypt_chunks

    key = bytes(range(32))
    plain = pattern(3 * (1 << 20) + 5000)
    store.put_stream(
        "rec-1/rendition.cv", encrypt_chunks([plain], key=key, object_id="rec-1/rendition")
    )
    with SegmentReader(key, "rec-1/rendition", store.open_range("rec-1/rendition.cv")) as r:
        assert r.read_range(10, 99) == plain[10:100]
    with Requests(store.client) as sent:
        reader = SegmentReader(key, "rec-1/rendition", store.open_range("rec-1/rendition.cv"))
        assert reader.read_range(2_000_000, 2_000_999) == plain[2_000_000:2_001_000]
    assert sent.seen == ["GetObject"]


def test_an_empty_blob_opens(store):
    store.put_stream("rec-1/empty.cv", [])
    with store.open_range("rec-1/empty.cv") as blob:
        assert blob.size == 0 and blob.read(0, 10) == b""


def test_an_open_blob_keeps_reading_the_version_it_opened(store):
    old, new = pattern(OPEN_PREFETCH * 2, 1), pattern(OPEN_PREFETCH * 2, 2)
    store.put_stream("rec-1/original.cv", [old])
    blob = store.open_range("rec-1/original.cv")
    store.put_stream("rec-1/original.cv", [new])
    assert blob.read(OPEN_PREFETCH, 100) == old[OPEN_PREFETCH:][:100]
    store.delete("rec-1/original.cv")
    with pytest.raises(BlobNotFound):
        blob.read(OPEN_PREFETCH, 100)


def test_delete_removes_every_version_and_delete_marker(store, s3_bucket):
    store.put_stream("rec-1/original.cv", [b"first"])
    store.put_stream("rec-1/original.cv", [b"second"])
    store.put_stream("rec-1/original.cv.keep", [b"a longer name with the same start"])
    s3_bucket.server.client().delete_object(Bucket=s3_bucket.name, Key="vault/rec-1/original.cv")
    assert len([k for k in s3_bucket.every_version() if k[0] == "vault/rec-1/original.cv"]) == 2
    # Only a delete marker is current: it did not "exist", yet its old versions go.
    assert store.delete("rec-1/original.cv") is False
    assert s3_bucket.every_key() == ["vault/rec-1/original.cv.keep"]
    store.put_stream("rec-1/original.cv", [b"third"])
    assert store.delete("rec-1/original.cv") is True
    assert s3_bucket.every_key() == ["vault/rec-1/original.cv.keep"]


def test_purge_unfinished_aborts_the_uploads_of_one_folder_only(store, s3_bucket):
    for name in ("rec-1/original.cv", "rec-1/deep/rendition.cv", "rec-10/original.cv"):
        writer = store.start_write(name)
        writer.write(pattern(2 * PART + 1))  # one part sent: a multipart upload is open
    assert len(s3_bucket.unfinished_uploads()) == 3
    assert store.purge_unfinished("rec-1") == 2
    assert s3_bucket.unfinished_uploads() == ["vault/rec-10/original.cv"]
    assert store.purge_unfinished("rec-1") == 0


def test_purge_unfinished_removes_versions_left_behind_a_plain_delete(store, s3_bucket):
    store.put_stream("rec-1/original.cv", [b"v1"])
    store.put_stream("rec-1/original.cv", [b"v2"])
    store.put_stream("rec-1/poster.cv", [b"kept"])
    # Someone deletes with a plain DELETE: the blob is gone, its versions are not.
    s3_bucket.server.client().delete_object(Bucket=s3_bucket.name, Key="vault/rec-1/original.cv")
    assert list(store.names("rec-1/")) == ["rec-1/poster.cv"]
    assert store.purge_unfinished("rec-1") == 1
    assert s3_bucket.every_key() == ["vault/rec-1/poster.cv"]


def test_a_write_touches_no_local_file(store, tmp_path):
    """The ciphertext goes from memory to the bucket: no temporary file on the way."""

    def open_files() -> set[str]:
        found = set()
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if target.startswith("/"):
                found.add(target)
        return found

    before = open_files()
    with store.open_write("rec-1/original.cv") as writer:
        for _ in range(3):
            writer.write(pattern(PART))
            assert open_files() <= before
    assert store.size("rec-1/original.cv") == 3 * PART


def test_the_prefix_keeps_stores_apart(s3_bucket):
    one = S3BlobStore.from_url(s3_bucket.url)
    other = S3BlobStore.from_url(s3_bucket.url.replace("/vault?", "/other?"))
    one.put_stream("rec-1/original.cv", [b"x"])
    assert list(other.names()) == [] and not other.exists("rec-1/original.cv")
    assert list(one.names()) == ["rec-1/original.cv"]


def test_the_storage_url_selects_the_s3_store(settings, s3_bucket):
    settings.CLASSVAULT_STORAGE_URL = s3_bucket.url
    store = blob_store()
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == (s3_bucket.name, "vault")
    store.probe()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3://", "bucket name"),
        ("s3://Not_A_Bucket/x", "bucket name"),
        ("s3://bucket/../x", "Unsafe"),
        ("s3://key:secret@bucket/x", "credentials"),
        ("s3://bucket/x?endpoint=http://h", "unknown options"),
        ("s3://bucket/x?endpoint_url=ftp://h", "http"),
        ("s3://bucket/x?part_size=1024", "part_size"),
        ("s3://bucket/x?addressing_style=sideways", "addressing_style"),
    ],
)
def test_s3_urls_it_cannot_use_are_refused(settings, url, message):
    settings.CLASSVAULT_STORAGE_URL = url
    with pytest.raises((ImproperlyConfigured, ValueError), match=message):
        blob_store()


def test_no_plaintext_path_reaches_the_store_module():
    """The store takes bytes and gives bytes: it never opens a file of its own."""
    source = Path(__import__("classvault.vault.s3", fromlist=["x"]).__file__).read_text()
    assert "open(" not in source.replace("get_paginator", "").replace(".open_", "")
    assert "tempfile" not in source
