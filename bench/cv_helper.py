"""The Django side of the stream benchmark: run as a script with the venv's Python and
DJANGO_SETTINGS_MODULE=classvault.settings, CLASSVAULT_HOME=<the benchmark's temporary home>.

Subcommands (each prints one JSON object on its last line of stdout):

    recording --size BYTES --seed N --plaintext PATH
        Store BYTES of deterministic pseudo-random data as the *rendition* of a new Recording
        (status ready, owned by the demo user "sanne") through classvault.vault.services.
        vault_store, and write the very same plaintext to PATH (for nginx). No transcoding.
    guidelines USERNAME
        Let a demo student teacher accept the current recording guidelines (uploads need it).
    audit-count --recording ID [--action recording.stream]
        How many audit events of that action exist for that recording.
    video --size BYTES --seed N --out PATH
        Write a real, decodable video of at least BYTES: uncompressed (rawvideo) 1280x720
        frames of pseudo-random pixels in Matroska. Used for the ingest benchmark, so the
        upload passes the server's "is this a playable video" probe and is answered 201.
    vault-write --file PATH
        In-process baselines on the same bytes: AES-256-GCM segment encryption only
        (SegmentWriter into a null sink) and vault_store into the blob store (encrypt, write,
        fsync, key row, audit event).

Nothing here uses raw SQL: rows are made with the services and the ORM.
"""

import argparse
import contextlib
import hashlib
import json
import os
import sys
import time
import uuid
from datetime import timedelta

import django

CHUNK = 8 << 20


def keystream(seed: int, size: int, chunk: int = CHUNK):
    """``size`` deterministic pseudo-random bytes: AES-256-CTR keystream keyed by the seed.

    Fast (GB/s) and identical for every run with the same seed.
    """
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = hashlib.sha256(f"classvault-bench-{seed}".encode()).digest()
    enc = Cipher(algorithms.AES(key), modes.CTR(b"\0" * 16)).encryptor()
    zeros = bytes(chunk)
    left = size
    while left > 0:
        n = min(chunk, left)
        yield enc.update(zeros[:n] if n != chunk else zeros)
        left -= n


def _setup() -> None:
    if not os.environ.get("CLASSVAULT_HOME") or not os.environ.get("DJANGO_SETTINGS_MODULE"):
        sys.exit("cv_helper: set CLASSVAULT_HOME and DJANGO_SETTINGS_MODULE")
    django.setup()


def cmd_recording(args) -> dict:
    _setup()
    from django.db import transaction

    from classvault.audit.actions import AuditAction
    from classvault.audit.services import audit_record
    from classvault.core import clock
    from classvault.people.models import User
    from classvault.recordings.models import Recording, RecordingStatus
    from classvault.vault.models import Purpose
    from classvault.vault.services import vault_store

    now = clock.now()
    sanne = User.objects.select_related("enrolment__school").get(username="sanne")
    recording_id = uuid.uuid4()
    digest = hashlib.sha256()

    # The row first, as in production (upload, then the job stores the rendition while the
    # row exists): the vault's key policies may look the recording up.
    with transaction.atomic():
        recording = Recording.objects.create(
            id=recording_id,
            owner=sanne,
            school=sanne.enrolment.school,
            title=f"Benchmark {args.size >> 20} MiB",
            recorded_at=now - timedelta(hours=1),
            expires_at=now + timedelta(days=180),
            status=RecordingStatus.PROCESSING,
            created_at=now,
            original_size=args.size,
            duration_seconds=600.0,
        )
        audit_record(
            actor=sanne,
            action=AuditAction.RECORDING_CREATE,
            obj=recording,
            now=now,
            purpose="coaching",
            data={"pupils": 0, "size": args.size, "benchmark": True},
        )
    with open(args.plaintext, "wb") as plain:

        def chunks():
            for piece in keystream(args.seed, args.size):
                plain.write(piece)
                digest.update(piece)
                yield piece

        started = time.perf_counter()
        stored = vault_store(
            object_id=str(recording_id), purpose=Purpose.RENDITION, chunks=chunks(), now=now
        )
        elapsed = time.perf_counter() - started
    assert stored.plaintext_size == args.size, stored
    with transaction.atomic():
        Recording.objects.filter(pk=recording_id).update(
            status=RecordingStatus.READY, rendition_size=args.size
        )
        audit_record(actor=None, action=AuditAction.RECORDING_READY, obj=recording, now=now)
    return {
        "id": str(recording_id),
        "size": args.size,
        "sha256": digest.hexdigest(),
        "blob": stored.blob_name,
        "ciphertext_size": stored.ciphertext_size,
        "store_seconds": elapsed,
    }


def cmd_guidelines(args) -> dict:
    _setup()
    from classvault.core import clock
    from classvault.people.models import User
    from classvault.people.services import guidelines_acknowledge

    guidelines_acknowledge(actor=User.objects.get(username=args.username), now=clock.now())
    return {"ok": True}


def cmd_audit_count(args) -> dict:
    _setup()
    from classvault.audit.models import AuditEvent

    events = AuditEvent.objects.filter(action=args.action, object_id=args.recording)
    return {"count": events.count(), "actors": sorted(set(events.values_list("actor", flat=True)))}


def cmd_video(args) -> dict:
    from fractions import Fraction

    import av
    import numpy as np

    width, height, fps = 1280, 720, 25
    frame_bytes = width * height * 3 // 2  # yuv420p
    frames = -(-args.size // frame_bytes)
    stream_bytes = keystream(args.seed, frames * frame_bytes, chunk=frame_bytes)
    with av.open(args.out, mode="w", format="matroska") as out:
        stream = out.add_stream("rawvideo", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i, raw in enumerate(stream_bytes):
            frame = av.VideoFrame.from_ndarray(
                np.frombuffer(raw, dtype=np.uint8).reshape(height * 3 // 2, width), format="yuv420p"
            )
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return {"path": args.out, "size": os.path.getsize(args.out), "frames": frames}


class _NullSink:
    def write(self, data) -> None:
        pass


def cmd_vault_write(args) -> dict:
    _setup()
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from classvault.core import clock
    from classvault.vault.segments import SegmentWriter
    from classvault.vault.services import vault_shred, vault_store

    with open(args.file, "rb") as f:
        data = f.read()
    size = len(data)
    view = memoryview(data)
    pieces = [view[i : i + (1 << 20)] for i in range(0, size, 1 << 20)]  # 1 MiB, like uploads

    def best_of(n, fn):
        times = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return sorted(times)[len(times) // 2]

    def encrypt_only():
        writer = SegmentWriter(AESGCM.generate_key(bit_length=256), "bench/original", _NullSink())
        for piece in pieces:
            writer.write(piece)
        writer.close()

    encrypt = best_of(args.repeat, encrypt_only)
    store_times = []
    from django.db import transaction

    for _ in range(args.repeat):
        object_id = f"bench-{uuid.uuid4().hex}"
        t = time.perf_counter()
        vault_store(object_id=object_id, purpose="original", chunks=pieces, now=clock.now())
        store_times.append(time.perf_counter() - t)
        with transaction.atomic():
            vault_shred(object_id=object_id, now=clock.now())
    store = sorted(store_times)[len(store_times) // 2]
    return {"size": size, "encrypt_seconds": encrypt, "store_seconds": store}


def cmd_breakdown(args) -> dict:
    """Where a Range request's time goes, step by step, in this process (no HTTP).

    The same calls, in the same order, as GET .../stream with a 1 MiB Range; medians of
    ``--repeat`` rounds. A fresh database connection is made for every round, as the server
    does with CLASSVAULT_DB_CONN_MAX_AGE=0 (the default).
    """
    _setup()
    import statistics

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from classvault.core import clock
    from classvault.people.services import token_authenticate
    from classvault.sharing.selectors import recording_get_visible
    from classvault.vault.blobs import blob_store
    from classvault.vault.segments import SegmentReader
    from classvault.vault.selectors import data_key_get_live
    from classvault.vault.services import data_key_unwrap

    mib = 1 << 20
    steps: dict[str, list[float]] = {}

    sql: dict[str, int] = {}

    counting = True  # the first round only counts queries (Django's debug cursor is slow)

    @contextlib.contextmanager
    def step(name):
        if counting:
            with CaptureQueriesContext(connection) as capture:
                yield
            sql[name] = len(capture.captured_queries)
            return
        t = time.perf_counter()
        yield
        steps.setdefault(name, []).append((time.perf_counter() - t) * 1000)

    offset = 5 * mib + 12345
    for round_ in range(args.repeat + 1):
        counting = round_ == 0
        connection.close()
        with step("total"):
            with step("db connect (per request, CONN_MAX_AGE=0)"):
                connection.ensure_connection()
            with step("token_authenticate"):
                token = token_authenticate(raw=args.token, now=clock.now())
            with step("recording_get_visible"):
                recording = recording_get_visible(
                    actor=token.user, recording_id=args.recording, now=clock.now()
                )
            with step("data_key_get_live"):
                key_row = data_key_get_live(object_id=str(recording.pk), purpose="rendition")
            with step("data_key_unwrap (re-read the key row, key files, unwrap)"):
                raw = data_key_unwrap(data_key=key_row)
            with step("open blob + read header"):
                reader = SegmentReader(
                    raw, key_row.segment_object_id, blob_store().open_range(key_row.blob_name)
                )
            with step("plaintext_size: read + decrypt the last segment"):
                _ = reader.plaintext_size
            with step("read + decrypt 1 MiB range (2 segments) + slice"):
                for piece in reader.iter_range(offset, offset + mib - 1):
                    _ = len(piece)
            reader.close()
    total = steps.pop("total")
    steps["total"] = total
    # Reference: the cryptographic work alone (3 segments), output buffers reused.
    aead = AESGCM(os.urandom(32))
    nonce = os.urandom(12)
    sealed = aead.encrypt(nonce, os.urandom(mib), b"")
    out = bytearray(mib)
    for _ in range(args.repeat):
        with step("reference: AES-GCM decrypt of 3 x 1 MiB into a reused buffer"):
            for _k in range(3):
                if hasattr(aead, "decrypt_into"):
                    aead.decrypt_into(nonce, sealed, b"", out)
                else:
                    aead.decrypt(nonce, sealed, b"")
    # Each step's name says how many SQL queries it ran (counted by Django).
    return {
        (
            f"{name} [{sql[name]} SQL]"
            if name in sql and not name.startswith("reference")
            else name
        ): statistics.median(v)
        for name, v in steps.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("recording")
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--plaintext", required=True)
    p.set_defaults(func=cmd_recording)
    p = sub.add_parser("guidelines")
    p.add_argument("username")
    p.set_defaults(func=cmd_guidelines)
    p = sub.add_parser("audit-count")
    p.add_argument("--recording", required=True)
    p.add_argument("--action", default="recording.stream")
    p.set_defaults(func=cmd_audit_count)
    p = sub.add_parser("video")
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_video)
    p = sub.add_parser("vault-write")
    p.add_argument("--file", required=True)
    p.add_argument("--repeat", type=int, default=3)
    p.set_defaults(func=cmd_vault_write)
    p = sub.add_parser("breakdown")
    p.add_argument("--recording", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--repeat", type=int, default=200)
    p.set_defaults(func=cmd_breakdown)
    args = parser.parse_args()
    print(json.dumps(args.func(args)), flush=True)


if __name__ == "__main__":
    main()
