"""The blob stores' contract, for the file store and the S3 store (on a real Ceph RGW):
atomic writes, safe names, ranged reads, deletes; and the storage URL factory."""

import os
import stat
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from classvault.vault.blobs import FileBlobStore, blob_store
from classvault.vault.exceptions import BlobNotFound
from classvault.vault.s3 import S3BlobStore


@pytest.fixture(params=["file", "s3"])
def store(request, tmp_path: Path):
    """Each contract test runs on both stores."""
    if request.param == "file":
        return FileBlobStore(tmp_path / "blobs")
    bucket = request.getfixturevalue("s3_bucket")
    store = S3BlobStore.from_url(bucket.url)
    store.test_bucket = bucket
    return store


@pytest.fixture
def file_store(tmp_path: Path) -> FileBlobStore:
    return FileBlobStore(tmp_path / "blobs")


def every_file(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def leftovers(store) -> list[str]:
    """Everything the store keeps: files and temporaries; keys of any version, unfinished
    multipart uploads (relative to the store's root or prefix)."""
    if isinstance(store, FileBlobStore):
        return every_file(store.root) if store.root.exists() else []
    bucket = store.test_bucket
    keys = [*bucket.every_key(), *(f"unfinished:{k}" for k in bucket.unfinished_uploads())]
    return sorted(k.removeprefix(f"{bucket.prefix}/") for k in keys)


def test_it_stores_and_reads_back_by_range(store):
    assert store.put_stream("rec-1/original.cv", [b"hello ", b"", b"world"]) == 11
    assert store.exists("rec-1/original.cv")
    assert store.size("rec-1/original.cv") == 11
    with store.open_range("rec-1/original.cv") as blob:
        assert blob.size == 11
        assert blob.read(6, 5) == b"world"
        assert blob.read(6, 100) == b"world"


def test_blobs_and_folders_are_private_to_the_owner(file_store):
    store = file_store
    store.put_stream("rec-1/original.cv", [b"x"])
    assert stat.S_IMODE(os.stat(store.root / "rec-1" / "original.cv").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.root / "rec-1").st_mode) == 0o700


def test_an_exception_mid_stream_leaves_no_file_and_no_temporary(store):
    def broken():
        yield b"first part"
        raise ConnectionError("upload broke off")

    with pytest.raises(ConnectionError):
        store.put_stream("rec-1/original.cv", broken())
    assert not store.exists("rec-1/original.cv")
    assert leftovers(store) == []


def test_an_interrupted_overwrite_keeps_the_old_blob_whole(store):
    store.put_stream("rec-1/original.cv", [b"old and complete"])

    def broken():
        yield b"new"
        raise ConnectionError

    with pytest.raises(ConnectionError):
        store.put_stream("rec-1/original.cv", broken())
    with store.open_range("rec-1/original.cv") as blob:
        assert blob.read(0, 100) == b"old and complete"
    assert leftovers(store) == ["rec-1/original.cv"]


def test_the_blob_is_invisible_under_its_name_while_being_written(store):
    seen = []

    def watching():
        yield b"part"
        seen.append(store.exists("rec-1/original.cv"))
        seen.append(list(store.names()))
        yield b"rest"

    store.put_stream("rec-1/original.cv", watching())
    assert seen == [False, []]
    assert list(store.names()) == ["rec-1/original.cv"]


@pytest.mark.parametrize(
    "name",
    [
        "",
        "../escape",
        "rec/../../escape",
        "/etc/passwd",
        "rec//x",
        "rec/./x",
        ".hidden",
        "rec/.tmp",
        "a\\b",
        "rec/x\x00",
        "rec/",
        "x" * 1025,
        "rec/ü",
    ],
)
def test_unsafe_names_are_refused(store, name):
    with pytest.raises(ValueError):
        store.put_stream(name, [b"x"])
    with pytest.raises(ValueError):
        store.open_range(name)
    with pytest.raises(ValueError):
        store.delete(name)


def test_a_symlinked_folder_cannot_lead_outside_the_store(file_store, tmp_path):
    store = file_store
    outside = tmp_path / "outside"
    outside.mkdir()
    store.root.mkdir()
    (store.root / "rec-1").symlink_to(outside)
    with pytest.raises(ValueError):
        store.put_stream("rec-1/original.cv", [b"x"])
    assert list(outside.iterdir()) == []


def test_delete_is_idempotent_and_prunes_empty_folders(store):
    store.put_stream("rec-1/original.cv", [b"x"])
    store.put_stream("rec-2/original.cv", [b"y"])
    assert store.delete("rec-1/original.cv") is True
    assert store.delete("rec-1/original.cv") is False
    assert leftovers(store) == ["rec-2/original.cv"]
    assert store.exists("rec-2/original.cv")


def test_missing_blobs_raise_blob_not_found(store):
    with pytest.raises(BlobNotFound):
        store.size("rec-1/original.cv")
    with pytest.raises(BlobNotFound):
        store.open_range("rec-1/original.cv")


def test_names_lists_by_prefix_and_skips_temporaries(store):
    for name in ["rec-1/original.cv", "rec-1/poster.cv", "rec-10/original.cv", "top.cv"]:
        store.put_stream(name, [b"x"])
    unfinished = store.start_write("rec-1/rendition.cv")
    unfinished.write(b"partial")
    assert list(store.names()) == [
        "rec-1/original.cv",
        "rec-1/poster.cv",
        "rec-10/original.cv",
        "top.cv",
    ]
    assert list(store.names("rec-1/")) == ["rec-1/original.cv", "rec-1/poster.cv"]
    assert list(store.names("rec-9/")) == []
    unfinished.abort()


def test_the_default_url_follows_the_live_data_home(settings):
    store = blob_store()
    assert isinstance(store, FileBlobStore)
    assert store.root == (Path(settings.CLASSVAULT_HOME) / "blobs").resolve()


def test_an_explicit_file_url_is_used(settings, tmp_path):
    settings.CLASSVAULT_STORAGE_URL = f"file://{tmp_path / 'elsewhere'}"
    assert blob_store().root == (tmp_path / "elsewhere").resolve()


@pytest.mark.parametrize("url", ["file://host/path", "file://relative", "ftp://x"])
def test_unsupported_storage_urls_are_refused_clearly(settings, url):
    settings.CLASSVAULT_STORAGE_URL = url
    with pytest.raises(ImproperlyConfigured, match="file://"):
        blob_store()


def test_open_write_commits_at_the_end_of_the_block(store):
    with store.open_write("rec-1/rendition.cv") as writer:
        writer.write(b"abc")
        writer.write(memoryview(b"def"))
        assert not store.exists("rec-1/rendition.cv")
    assert writer.size == 6 and store.size("rec-1/rendition.cv") == 6


def test_open_write_leaves_nothing_after_an_exception(store):
    with pytest.raises(KeyError), store.open_write("rec-1/rendition.cv") as writer:
        writer.write(b"abc")
        raise KeyError("transcoder crashed")
    assert leftovers(store) == []


def test_an_aborted_write_leaves_no_empty_folder(file_store):
    """A refused upload must not leave a folder named after its object id (issue 9, 12a)."""
    store = file_store
    store.put_stream("rec-2/original.cv", [b"kept"])
    with pytest.raises(KeyError), store.open_write("rec-1/deep/original.cv") as writer:
        writer.write(b"abc")
        raise KeyError("refused")
    assert not (store.root / "rec-1").exists()
    assert store.exists("rec-2/original.cv")


def test_an_aborted_write_keeps_the_folder_of_other_blobs(store):
    store.put_stream("rec-1/original.cv", [b"kept"])
    with pytest.raises(KeyError), store.open_write("rec-1/rendition.cv") as writer:
        writer.write(b"abc")
        raise KeyError("transcoder crashed")
    assert leftovers(store) == ["rec-1/original.cv"]
