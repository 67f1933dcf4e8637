"""Reading and verifying the audit log."""

from dataclasses import dataclass
from typing import NamedTuple

from .actions import AuditAction
from .checkpoints import Checkpoint, checkpoints_read
from .keys import audit_key
from .models import GENESIS_HASH, AuditEvent, AuditHead

KEYED = AuditAction.AUDIT_KEYED


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.reason}"


class Verification(NamedTuple):
    checked: int  # entries intact before the first break (all of them when intact)
    broken: ChainBreak | None
    checkpoints: int  # checkpoint lines compared with the chain


def audit_verify(*, batch_size: int = 2000) -> Verification:
    """Walk the chain in order and compare it with the head row and the checkpoint file.

    Raises AuditKeyError when the audit key is missing and CheckpointError when the
    checkpoint file is unreadable or not written under this key: then nothing can be said.
    The checkpoints are read before the chain, so an event committed meanwhile never looks
    like a cut; the walk goes past the head read at the start for the same reason.
    """
    key = audit_key()
    marks = checkpoints_read(key=key)
    head = AuditHead.objects.filter(pk=1).first()
    last_seq, last_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS_HASH)
    count = sum(len(found) for found in marks.values())

    def broken(at: int, reason: str) -> Verification:
        return Verification(at - 1, ChainBreak(at, reason), count)

    expected_seq, prev_hash, keyed_from, hash_at_head = 1, GENESIS_HASH, 0, None
    while True:
        page = list(AuditEvent.objects.filter(seq__gte=expected_seq).order_by("seq")[:batch_size])
        if not page:
            break
        for event in page:
            if event.seq != expected_seq:
                return broken(expected_seq, f"is missing (the next entry is {event.seq})")
            if event.prev_hash != prev_hash:
                return broken(event.seq, f"does not link to entry {event.seq - 1} "
                              "(one of the two was changed)")
            if event.compute_hash(key) == event.hash:
                if not keyed_from:
                    keyed_from = event.seq
                elif event.action == KEYED:
                    return broken(event.seq, "records a switch to keyed hashes that happened at "
                                  f"entry {keyed_from} (the head row was changed)")
            elif keyed_from or event.compute_legacy_hash() != event.hash:
                # Plain SHA-256 is accepted only before the first keyed entry.
                return broken(event.seq, "was changed after it was written" + (
                    "" if keyed_from else " (or the audit key is not the one it was written with)"))
            for mark in marks.get(event.seq, ()):
                if mark.hash != event.hash:
                    return broken(event.seq, f"differs from {mark.where()}")
            if event.seq == last_seq:
                hash_at_head = event.hash
            prev_hash = event.hash
            expected_seq += 1
    checked = expected_seq - 1
    beyond: list[Checkpoint] = [m for seq in marks if seq > checked for m in marks[seq]]
    if beyond:
        newest = max(beyond, key=lambda m: m.seq)
        return broken(checked + 1, f"is missing: the log ends at entry {checked}, but "
                      f"{newest.where()} records entry {newest.seq}")
    if last_seq > checked:
        return broken(checked + 1,
                      f"the log ends at entry {checked} but entry {last_seq} was written last")
    if last_seq and hash_at_head != last_hash:
        return broken(last_seq, "differs from the head row (the head row was changed)")
    return Verification(checked, None, count)
