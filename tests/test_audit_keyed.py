"""Someone who can write the database but holds no key file cannot rewrite or cut the audit log
unnoticed: the chain is keyed (HMAC) and its head is checkpointed outside the database."""

import multiprocessing
import os
import threading
from pathlib import Path

import pytest
from django.db import transaction

from classvault.audit.actions import AuditAction
from classvault.audit.checkpoints import CheckpointError, checkpoint_append, checkpoints_read
from classvault.audit.keys import AuditKey, AuditKeyError, audit_key
from classvault.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from classvault.audit.selectors import audit_verify
from classvault.audit.services import audit_checkpoint, audit_key_adopt, audit_record
from classvault.core.home import write_secret_file
from support.personas import NOW
from test_audit_chain import _disable_append_only


@pytest.fixture
def committed(db, django_capture_on_commit_callbacks, settings):
    """Write n events as committed transactions would: their checkpoints are written."""
    settings.CLASSVAULT_AUDIT_CHECKPOINT_EVERY = 3
    settings.CLASSVAULT_AUDIT_CHECKPOINT_SECONDS = 3600

    def write(n):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            for i in range(n):
                audit_record(
                    actor="tester",
                    action=AuditAction.AUDIT_READ,
                    object_type="thing",
                    object_id=str(i),
                    now=NOW,
                    data={"i": i},
                )

    return write


def _checkpoint_lines(settings) -> list[str]:
    path = Path(settings.CLASSVAULT_AUDIT_CHECKPOINT_FILE)
    return path.read_text().splitlines() if path.exists() else []


def _legacy_events(n):
    """A log as the version before the audit key wrote it: plain SHA-256, head not keyed."""
    with transaction.atomic():
        head, _ = AuditHead.objects.get_or_create(pk=1)
        for i in range(n):
            event = AuditEvent(
                seq=head.last_seq + 1,
                at=NOW,
                actor="old",
                action="test.old",
                object_type="thing",
                object_id=str(i),
                data={"i": i},
                prev_hash=head.last_hash,
            )
            event.hash = event.compute_legacy_hash()
            event.save(force_insert=True)
            head.last_seq, head.last_hash = event.seq, event.hash
        head.save()


def _rewrite_from(seq, hasher, *, actor="mallory"):
    """The attack: change entry ``seq``, recompute every following hash with ``hasher`` and
    the documented canonical form, and move the head to the new end."""
    _disable_append_only()
    prev = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else GENESIS_HASH
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        if event.seq == seq:
            event.actor = actor
        event.prev_hash = prev
        event.hash = prev = hasher(event)
        AuditEvent.objects.filter(pk=event.pk).update(
            actor=event.actor, prev_hash=event.prev_hash, hash=event.hash
        )
        last = event.seq
    AuditHead.objects.filter(pk=1).update(last_seq=last, last_hash=prev)


def _cut_after(seq):
    _disable_append_only()
    AuditEvent.objects.filter(seq__gt=seq).delete()
    last = AuditEvent.objects.get(seq=seq)
    AuditHead.objects.filter(pk=1).update(last_seq=seq, last_hash=last.hash)


HASHERS = {
    "plain SHA-256 (the old formula)": lambda e: e.compute_legacy_hash(),
    "HMAC with a key of the attacker's": lambda e: AuditKey(b"\x01" * 32).mac(e.canonical()),
}


@pytest.mark.parametrize("hasher", HASHERS.values(), ids=HASHERS.keys())
def test_a_rewritten_entry_with_recomputed_hashes_and_moved_head_is_found(committed, hasher):
    committed(8)
    _rewrite_from(5, hasher)
    checked, broken, _ = audit_verify()
    assert broken is not None and broken.seq == 5 and checked == 4
    assert "changed" in str(broken)


def test_a_log_rewritten_from_its_first_entry_disagrees_with_the_checkpoints(committed):
    """Rewritten with plain SHA-256 from entry 1 on, no keyed entry is left to refuse plain
    SHA-256 after it: the checkpoint of the first keyed entry, outside the database, catches
    it. (A made-up key fails at entry 1 already, as above.)"""
    committed(8)
    _rewrite_from(1, HASHERS["plain SHA-256 (the old formula)"])
    broken = audit_verify().broken
    assert broken is not None and broken.seq == 1
    assert "differs from the checkpoint" in str(broken)


def test_the_newest_entries_cut_off_with_the_head_moved_back_are_found(committed, settings):
    committed(8)  # checkpoints after entries 1 (the first), 3 and 6
    assert [int(line.split()[1]) for line in _checkpoint_lines(settings)] == [1, 3, 6]
    _cut_after(4)
    checked, broken, _ = audit_verify()
    assert (checked, broken.seq) == (4, 5)
    assert "the log ends at entry 4" in str(broken) and "records entry 6" in str(broken)


def test_entries_after_the_newest_checkpoint_can_be_cut_the_documented_limit(committed):
    committed(8)
    _cut_after(6)
    assert audit_verify()[:2] == (6, None)


def test_an_intact_log_agrees_with_every_checkpoint(committed):
    committed(8)
    committed(2)
    assert audit_verify() == (10, None, 4)  # after 1, 3, 6 and 9


def test_a_rolled_back_event_writes_no_checkpoint(
    committed, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            audit_record(actor="tester", action=AuditAction.AUDIT_READ, now=NOW)
            raise RuntimeError("the change fails after its event was written")
    assert _checkpoint_lines(settings) == []
    committed(1)
    assert audit_verify() == (1, None, 1)


def test_checkpoints_follow_the_count_and_the_time_since_the_last(committed, settings):
    from datetime import timedelta

    from classvault.audit.services import _checkpoint_after_commit

    committed(2)  # the first keyed entry is pinned at once
    key = audit_key()
    assert len(_checkpoint_lines(settings)) == 1
    _checkpoint_after_commit(key, 2, "00" * 32, NOW + timedelta(seconds=3599), False)
    assert len(_checkpoint_lines(settings)) == 1
    _checkpoint_after_commit(key, 2, "00" * 32, NOW + timedelta(seconds=3600), False)
    assert len(_checkpoint_lines(settings)) == 2


def test_verify_fails_without_the_audit_key(committed, settings):
    committed(2)
    os.remove(settings.CLASSVAULT_AUDIT_KEY_FILE)
    with pytest.raises(AuditKeyError, match="does not exist"):
        audit_verify()


def test_verify_fails_with_another_audit_key(committed, settings):
    committed(2)
    os.remove(settings.CLASSVAULT_AUDIT_KEY_FILE)
    write_secret_file(Path(settings.CLASSVAULT_AUDIT_KEY_FILE), "ab" * 32)
    with pytest.raises(CheckpointError, match="written with audit key"):
        audit_verify()
    # Without checkpoints, the chain itself says so at its first keyed entry.
    os.remove(settings.CLASSVAULT_AUDIT_CHECKPOINT_FILE)
    broken = audit_verify().broken
    assert broken.seq == 1 and "not the one it was written with" in str(broken)


def test_no_event_is_written_without_the_audit_key(db, settings):
    os.remove(settings.CLASSVAULT_AUDIT_KEY_FILE)
    with pytest.raises(AuditKeyError), transaction.atomic():
        audit_record(actor="tester", action=AuditAction.AUDIT_READ, now=NOW)
    assert not AuditEvent.objects.exists()


def test_an_edited_checkpoint_line_makes_the_file_untrusted(committed, settings):
    committed(4)
    path = Path(settings.CLASSVAULT_AUDIT_CHECKPOINT_FILE)
    fields = path.read_text().splitlines()[-1].split(" ")
    fields[1] = "2"  # point the checkpoint of entry 3 at entry 2
    with path.open("a") as fh:
        fh.write(" ".join(fields) + "\n")
    with pytest.raises(CheckpointError, match="Line 3 .* not written by ClassVault"):
        audit_verify()


def test_a_reset_head_shows_as_a_second_switch(committed):
    committed(3)
    AuditHead.objects.filter(pk=1).update(keyed_from=0)
    committed(1)
    broken = audit_verify().broken
    assert broken.seq == 4 and "switch to keyed hashes that happened at entry 1" in str(broken)


# --- upgrading a log written before the audit key ------------------------------------------


def test_a_log_written_before_the_key_still_verifies(db):
    _legacy_events(4)
    assert audit_verify() == (4, None, 0)


def test_the_next_event_records_the_switch_and_leaves_history_alone(committed, settings):
    _legacy_events(4)
    before = list(AuditEvent.objects.values_list("seq", "hash"))
    committed(2)
    events = list(AuditEvent.objects.order_by("seq"))
    assert list(AuditEvent.objects.filter(seq__lte=4).values_list("seq", "hash")) == before
    switch = events[4]
    assert (switch.seq, switch.action, switch.actor) == (5, "audit.keyed", "system")
    assert switch.data == {"legacy_until": 4, "key": audit_key().id}
    assert all(e.compute_hash(audit_key()) == e.hash for e in events[4:])
    assert AuditHead.objects.get().keyed_from == 5
    assert [int(line.split()[1]) for line in _checkpoint_lines(settings)] == [6]
    assert audit_verify() == (7, None, 1)


def test_init_adopts_the_key_for_an_old_log_and_pins_it(db, settings):
    _legacy_events(3)
    switch = audit_key_adopt(now=NOW)
    assert switch.seq == 4 and switch.action == "audit.keyed"
    assert audit_key_adopt(now=NOW) is None  # once
    assert audit_checkpoint(now=NOW) == 4
    assert audit_verify() == (4, None, 1)


def test_plain_sha256_after_the_switch_is_refused(committed):
    _legacy_events(2)
    committed(2)  # 3 is the switch, 4 keyed
    _rewrite_from(4, HASHERS["plain SHA-256 (the old formula)"], actor="tester")
    assert audit_verify().broken.seq == 4


def test_a_downgraded_upgrade_disagrees_with_the_checkpoint_of_the_switch(committed):
    _legacy_events(2)
    committed(3)
    _rewrite_from(3, HASHERS["plain SHA-256 (the old formula)"], actor="system")
    broken = audit_verify().broken
    assert broken.seq == 4 and "differs from the checkpoint" in str(broken)


# --- several writers append checkpoints to one file ------------------------------------------


def _append_many(worker: int, count: int) -> None:
    key = audit_key()
    for i in range(count):
        checkpoint_append(key=key, seq=worker * 1000 + i + 1, hash=f"{worker:02x}" * 32, now=NOW)


def test_concurrent_processes_and_threads_append_whole_checkpoint_lines(db, settings):
    """gunicorn workers, their threads and the background worker all append to one file:
    O_APPEND puts each short line whole at the end, none overwrites another."""
    fork = multiprocessing.get_context("fork")
    processes = [fork.Process(target=_append_many, args=(n, 40)) for n in (1, 2, 3)]
    threads = [threading.Thread(target=_append_many, args=(n, 40)) for n in (4, 5)]
    for worker in [*processes, *threads]:
        worker.start()
    for worker in [*processes, *threads]:
        worker.join(60)
    assert [p.exitcode for p in processes] == [0, 0, 0]
    marks = checkpoints_read(key=audit_key())  # every line parses and carries a valid MAC
    assert sorted(marks) == sorted(n * 1000 + i + 1 for n in range(1, 6) for i in range(40))


def test_a_changed_head_row_is_found(committed):
    committed(3)
    AuditHead.objects.filter(pk=1).update(last_hash="ab" * 32)
    assert audit_verify().broken.seq == 3


# --- system checks ---------------------------------------------------------------------------


def _check_ids(**kwargs):
    from django.core.checks import run_checks

    return {m.id for m in run_checks(**kwargs)}


def test_serving_without_the_audit_key_is_refused(settings):
    assert "classvault.E004" not in _check_ids(include_deployment_checks=True)
    os.remove(settings.CLASSVAULT_AUDIT_KEY_FILE)
    assert "classvault.E004" in _check_ids(include_deployment_checks=True, tags=["classvault"])
    assert "classvault.E004" not in _check_ids()  # migrate and init still run


def test_an_audit_key_readable_by_others_is_an_error(settings):
    assert "classvault.E003" not in _check_ids()
    os.chmod(settings.CLASSVAULT_AUDIT_KEY_FILE, 0o640)
    assert "classvault.E003" in _check_ids()
