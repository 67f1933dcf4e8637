"""The S3 blob store: the vault's ciphertext in an S3-compatible bucket (AWS, Ceph RGW, …).

Selected by ``CLASSVAULT_STORAGE_URL=s3://bucket/prefix?endpoint_url=https://…``; the
credentials come from the usual ``AWS_*`` environment (or any source boto3 reads). Only
ciphertext ever reaches it, and nothing is ever written to a local file on the way:

- **Writes** buffer at most one part in memory. A blob smaller than one part is one PUT;
  a larger one is a multipart upload whose parts go up as they fill, completed on commit
  (the blob appears under its name all at once) and aborted on abort.
  :meth:`S3BlobStore.purge_unfinished` aborts the uploads a killed writer left behind.
- **Reads** are ranged GETs. Opening a blob reads its first 64 KiB once, which gives the
  size, the version and the vault header in one request; every later read is one GET of
  exactly the bytes asked for, pinned to the version that was opened. Blob names are never
  reused for other bytes (each names its data key), so a process remembers what an open
  learnt (size, version, first 4 KiB) for the next open of the same blob: a seek in a stream
  costs the GETs of its bytes only. A blob deleted meanwhile still fails: the pinned GET
  finds no such version. The last bytes of the 32 blobs read last are kept too (every open
  of a vault object checks its last segment), so a seek is one GET.
- **Deletes** remove every version and delete marker of the key, so a versioned bucket
  keeps no old copy of a shredded recording.
"""

import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import suppress
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from .blobs import BlobStore, BlobWriter, validate_blob_name
from .exceptions import BlobNotFound

# S3's limits: parts of 5 MiB at least (except the last) and at most 10,000 per upload.
MIN_PART_SIZE = 5 << 20
DEFAULT_PART_SIZE = 8 << 20
MAX_PARTS = 10_000
# The part size doubles every this many parts, so no object is too large for the limit.
PARTS_PER_SIZE = 1_000
# What opening a blob reads at once: the vault header (16 bytes) and a little beyond.
OPEN_PREFETCH = 64 << 10
# What a process remembers of the blobs it opened: this many, with this much of their start.
OPEN_CACHE_ENTRIES = 1024
OPEN_CACHE_HEAD = 4 << 10
# And the last bytes of the most recently read blobs: every open of a vault object reads its
# last segment (the truncation check), so a seek would cost two GETs instead of one.
TAIL_CACHE_ENTRIES = 32
TAIL_CACHE_MAX = (1 << 20) + 64

# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html (the simple form)
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_URL_OPTIONS = {"endpoint_url", "region", "addressing_style", "part_size"}
_NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchVersion"}


def _split_url(url: str) -> tuple[str, str, dict[str, str]]:
    parts = urlsplit(url)
    bucket = parts.netloc
    if parts.username or parts.password or "@" in bucket:
        raise ImproperlyConfigured(
            "CLASSVAULT_STORAGE_URL must not hold credentials: use AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or any other source boto3 reads)."
        )
    if not _BUCKET_RE.fullmatch(bucket):
        raise ImproperlyConfigured(
            f"CLASSVAULT_STORAGE_URL {url!r} needs a bucket name: s3://bucket/prefix."
        )
    prefix = unquote(parts.path).strip("/")
    if prefix:
        validate_blob_name(prefix)
    if parts.fragment:
        raise ImproperlyConfigured(f"CLASSVAULT_STORAGE_URL {url!r} has a #fragment.")
    options = dict(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False))
    unknown = set(options) - _URL_OPTIONS
    if unknown:
        raise ImproperlyConfigured(
            f"CLASSVAULT_STORAGE_URL has unknown options {sorted(unknown)}: use "
            f"{', '.join(sorted(_URL_OPTIONS))}."
        )
    endpoint = options.get("endpoint_url")
    if endpoint is not None and urlsplit(endpoint).scheme not in ("http", "https"):
        raise ImproperlyConfigured(
            f"endpoint_url {endpoint!r} in CLASSVAULT_STORAGE_URL must be an http(s) URL."
        )
    if options.get("addressing_style", "path") not in ("path", "virtual", "auto"):
        raise ImproperlyConfigured("addressing_style must be path, virtual or auto.")
    if "part_size" in options:
        try:
            part_size = int(options["part_size"])
        except ValueError:
            part_size = 0
        if part_size < MIN_PART_SIZE:
            raise ImproperlyConfigured(
                f"part_size in CLASSVAULT_STORAGE_URL must be a number of bytes >= {MIN_PART_SIZE}."
            )
    return bucket, prefix, options


_clients: dict[tuple, Any] = {}
_clients_lock = threading.Lock()


def _client(
    endpoint_url: str | None, region: str | None, addressing_style: str, *, quick: bool = False
) -> Any:
    """One boto3 client per configuration and process (clients are thread-safe; making one
    costs tens of milliseconds, too much for every request). ``quick``: short timeouts and
    no retries, for the health check's probe (a store that does not answer must not hang it).
    """
    credentials = tuple(
        os.environ.get(name)
        for name in (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_DEFAULT_REGION",
        )
    )
    key = (os.getpid(), endpoint_url, region, addressing_style, credentials, quick)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                s3={"addressing_style": addressing_style},
                connect_timeout=2 if quick else 5,
                read_timeout=5 if quick else 60,
                retries={"mode": "standard", "max_attempts": 1 if quick else 3},
                max_pool_connections=32,
                # Only ask for checksums where S3 requires them: some S3-compatible servers
                # do not know the newer checksum headers.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            )
            session = boto3.session.Session()
            client = session.client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region or session.region_name or "us-east-1",
                config=config,
            )
            _clients[key] = client
        return client


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _is_not_found(exc: Exception) -> bool:
    return _error_code(exc) in _NOT_FOUND


def _total_size(content_range: str) -> int:
    """The total from ``bytes 0-65535/123456``."""
    return int(content_range.rpartition("/")[2])


class _OpenCache:
    """(bucket, key) -> (a number, the version pin, bytes), least recently used out first:
    (size, pin, first bytes) of opened blobs; (offset, pin, last bytes) of read tails."""

    def __init__(self, entries: int) -> None:
        self._entries = entries
        self._data: OrderedDict[tuple[str, str], tuple[int, dict[str, str], bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, bucket: str, key: str) -> tuple[int, dict[str, str], bytes] | None:
        with self._lock:
            found = self._data.get((bucket, key))
            if found is not None:
                self._data.move_to_end((bucket, key))
            return found

    def put(self, bucket: str, key: str, value: tuple[int, dict[str, str], bytes]) -> None:
        with self._lock:
            self._data[(bucket, key)] = value
            self._data.move_to_end((bucket, key))
            while len(self._data) > self._entries:
                self._data.popitem(last=False)

    def forget(self, bucket: str, key: str) -> None:
        with self._lock:
            self._data.pop((bucket, key), None)


_opened = _OpenCache(OPEN_CACHE_ENTRIES)
_tails = _OpenCache(TAIL_CACHE_ENTRIES)


class S3BlobRange:
    """An open S3 blob, read by byte range (a ``RangeSource``); pinned to one version."""

    def __init__(self, store: "S3BlobStore", key: str) -> None:
        self._client = store.client
        self._bucket = store.bucket
        self._key = key
        known = _opened.get(self._bucket, key)
        if known is not None:
            self._size, self._pin, self._head = known
            return
        try:
            response = self._client.get_object(
                Bucket=self._bucket, Key=key, Range=f"bytes=0-{OPEN_PREFETCH - 1}"
            )
            self._head = response["Body"].read()
            self._size = _total_size(response["ContentRange"])
        except Exception as exc:
            if _is_not_found(exc):
                raise BlobNotFound(f"No blob at {key.rpartition('/')[2]}.") from None
            if _error_code(exc) != "InvalidRange":
                raise
            # An empty blob has no byte 0 to ask for.
            response = self._client.head_object(Bucket=self._bucket, Key=key)
            self._head = b""
            self._size = response["ContentLength"]
        # Later reads see the same bytes even if the key is written again meanwhile.
        version = response.get("VersionId")
        self._pin = (
            {"VersionId": version}
            if version and version != "null"
            else {"IfMatch": response["ETag"]}
        )
        _opened.put(self._bucket, key, (self._size, self._pin, self._head[:OPEN_CACHE_HEAD]))

    def __repr__(self) -> str:
        return f"<S3BlobRange {self._key} size={self._size}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        """``length`` bytes at ``offset`` (fewer at the end); one GET unless prefetched."""
        end = min(offset + length, self._size)
        if offset >= end:
            return b""
        if end <= len(self._head):
            return self._head[offset:end]
        tail = end == self._size and end - offset <= TAIL_CACHE_MAX
        if tail:
            known = _tails.get(self._bucket, self._key)
            if known is not None and known[1] == self._pin and known[0] <= offset:
                cached = known[2]
                return cached[len(cached) - (end - offset) :]
        try:
            response = self._client.get_object(
                Bucket=self._bucket, Key=self._key, Range=f"bytes={offset}-{end - 1}", **self._pin
            )
        except Exception as exc:
            if _is_not_found(exc) or _error_code(exc) == "PreconditionFailed":
                _opened.forget(self._bucket, self._key)
                _tails.forget(self._bucket, self._key)
                raise BlobNotFound(f"The blob at {self._key} is gone.") from None
            raise
        data = response["Body"].read()
        if tail and len(data) == end - offset:
            _tails.put(self._bucket, self._key, (offset, self._pin, data))
        return data

    def close(self) -> None:
        """Nothing stays open between reads (the client's connection pool is shared)."""


class S3BlobWriter(BlobWriter):
    """Buffers one part in memory; a multipart upload once more than one part is written."""

    def __init__(self, store: "S3BlobStore", key: str) -> None:
        self._store = store
        self._client = store.client
        self._bucket = store.bucket
        self._key = key
        self._buffer = bytearray()
        self._part_size = store.part_size
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._done = False
        self.size = 0

    def __repr__(self) -> str:
        return f"<S3BlobWriter {self._key} size={self.size} parts={len(self._parts)}>"

    def write(self, data: bytes) -> int:
        if self._done:
            raise ValueError("This blob was already committed or aborted.")
        view = memoryview(data).cast("B")
        self._buffer += view
        self.size += view.nbytes
        while len(self._buffer) >= self._part_size + MIN_PART_SIZE:
            # Keep at least a minimum part back, so the last part is never too small.
            self._send(self._part_size)
        return view.nbytes

    def _send(self, length: int) -> None:
        if self._upload_id is None:
            self._upload_id = self._client.create_multipart_upload(
                Bucket=self._bucket, Key=self._key
            )["UploadId"]
        number = len(self._parts) + 1
        if number > MAX_PARTS:
            raise ValueError("The blob is too large for one multipart upload.")
        body = bytes(self._buffer[:length])
        del self._buffer[:length]
        response = self._client.upload_part(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=body,
        )
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})
        if number % PARTS_PER_SIZE == 0:
            self._part_size *= 2

    def commit(self) -> None:
        if self._done:
            raise ValueError("This blob was already committed or aborted.")
        if self._upload_id is None:
            self._client.put_object(Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer))
        else:
            self._send(len(self._buffer))
            self._client.complete_multipart_upload(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        self._buffer = bytearray()
        self._done = True
        _opened.forget(self._bucket, self._key)
        _tails.forget(self._bucket, self._key)

    def abort(self) -> None:
        self._buffer = bytearray()
        if self._done:
            return
        self._done = True
        if self._upload_id is not None:
            # If this fails too, purge_unfinished finds the upload later.
            with suppress(Exception):
                self._client.abort_multipart_upload(
                    Bucket=self._bucket, Key=self._key, UploadId=self._upload_id
                )


class S3BlobStore(BlobStore):
    """Blobs as objects under ``prefix/`` in ``bucket``."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        addressing_style: str | None = None,
        part_size: int = DEFAULT_PART_SIZE,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        # A custom endpoint (Ceph, a local gateway) rarely has a DNS name per bucket.
        style = addressing_style or ("path" if endpoint_url else "auto")
        self._client_args = (endpoint_url, region, style)
        self.client = _client(*self._client_args)
        self.part_size = max(MIN_PART_SIZE, part_size)

    @classmethod
    def from_url(cls, url: str) -> "S3BlobStore":
        bucket, prefix, options = _split_url(url)
        return cls(
            bucket,
            prefix,
            endpoint_url=options.get("endpoint_url") or None,
            region=options.get("region") or None,
            addressing_style=options.get("addressing_style") or None,
            part_size=int(options.get("part_size", DEFAULT_PART_SIZE)),
        )

    def __repr__(self) -> str:
        return f"<S3BlobStore s3://{self.bucket}/{self.prefix}>"

    def _key(self, name: str) -> str:
        validate_blob_name(name)
        return f"{self.prefix}/{name}" if self.prefix else name

    def _folder_key(self, folder: str) -> str:
        """The key prefix of a folder, ending in "/" so "rec-1" never matches "rec-10"."""
        folder = folder.strip("/")
        return f"{self._key(folder)}/" if folder else (f"{self.prefix}/" if self.prefix else "")

    def start_write(self, name: str) -> S3BlobWriter:
        return S3BlobWriter(self, self._key(name))

    def open_range(self, name: str) -> S3BlobRange:
        return S3BlobRange(self, self._key(name))

    def size(self, name: str) -> int:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(name))["ContentLength"]
        except Exception as exc:
            if _is_not_found(exc):
                raise BlobNotFound(f"No blob named {name!r}.") from None
            raise

    def exists(self, name: str) -> bool:
        try:
            self.size(name)
        except BlobNotFound:
            return False
        return True

    def delete(self, name: str) -> bool:
        """Delete every version and delete marker of the blob (versioned buckets keep old
        versions on a plain DELETE); True if a current version existed."""
        key = self._key(name)
        _opened.forget(self.bucket, key)
        _tails.forget(self.bucket, key)
        existed = False
        paginator = self.client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=key):
            doomed = []
            for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                if entry["Key"] != key:
                    continue  # "rec-1/original.cv" also prefixes "rec-1/original.cv.old"
                doomed.append({"Key": key, "VersionId": entry["VersionId"]})
                if entry.get("IsLatest") and "Size" in entry:
                    existed = True
            if doomed:
                self._delete_versions(doomed)
        return existed

    def _delete_versions(self, doomed: list[dict[str, str]]) -> None:
        for start in range(0, len(doomed), 1000):
            response = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": doomed[start : start + 1000], "Quiet": True}
            )
            errors = [e for e in response.get("Errors", []) if e.get("Code") not in _NOT_FOUND]
            if errors:
                raise OSError(f"S3 refused to delete {errors[0].get('Key')}: {errors[0]}")

    def names(self, prefix: str = "") -> Iterator[str]:
        if prefix:
            # The prefix may end in "/" (a folder) or be part of a name: check its parts.
            validate_blob_name(prefix.rstrip("/") or "x")
        start = f"{self.prefix}/" if self.prefix else ""
        found = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=start + prefix):
            found.extend(entry["Key"][len(start) :] for entry in page.get("Contents", []))
        return iter(sorted(found))

    def purge_unfinished(self, folder: str) -> int:
        """Abort the multipart uploads under ``folder`` (their parts go with them), and remove
        what a plain DELETE from elsewhere left of a blob in a versioned bucket: the old
        versions behind a delete marker. Returns how many uploads and keys went."""
        prefix = self._folder_key(folder)
        removed = 0
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for upload in page.get("Uploads", []):
                try:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                except Exception as exc:
                    if _error_code(exc) not in {"NoSuchUpload", "404"}:
                        raise
                    continue
                removed += 1
        versions: dict[str, list[dict[str, Any]]] = {}
        for page in self.client.get_paginator("list_object_versions").paginate(
            Bucket=self.bucket, Prefix=prefix
        ):
            for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                versions.setdefault(entry["Key"], []).append(entry)
        for key, entries in versions.items():
            # A key whose current version is a real object is a blob: not ours to remove.
            if any(e.get("IsLatest") and "Size" in e for e in entries):
                continue
            self._delete_versions([{"Key": key, "VersionId": e["VersionId"]} for e in entries])
            removed += 1
        return removed

    def probe(self) -> None:
        """A cheap real request: the bucket answers with these credentials (raises if not);
        at most a few seconds when nothing answers."""
        _client(*self._client_args, quick=True).list_objects_v2(
            Bucket=self.bucket, Prefix=self._folder_key(""), MaxKeys=1
        )
