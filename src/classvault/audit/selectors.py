"""Reading and verifying the audit log."""

from dataclasses import dataclass

from .models import GENESIS_HASH, AuditEvent, AuditHead


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.reason}"


def audit_verify(*, batch_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Walk the chain in order; return how many entries are intact and the first break."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    while True:
        page = list(AuditEvent.objects.filter(seq__gte=expected_seq).order_by("seq")[:batch_size])
        if not page:
            break
        for event in page:
            if event.seq != expected_seq:
                return expected_seq - 1, ChainBreak(
                    expected_seq, f"is missing (the next entry is {event.seq})"
                )
            if event.prev_hash != prev_hash:
                return expected_seq - 1, ChainBreak(
                    event.seq,
                    f"does not link to entry {event.seq - 1} (one of the two was changed)",
                )
            if event.compute_hash() != event.hash:
                return expected_seq - 1, ChainBreak(
                    event.seq, "was changed after it was written"
                )
            prev_hash = event.hash
            expected_seq += 1
    head = AuditHead.objects.filter(pk=1).first()
    last_seq, last_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS_HASH)
    checked = expected_seq - 1
    if (last_seq, last_hash) != (checked, prev_hash):
        return checked, ChainBreak(
            min(last_seq, checked + 1) or 1,
            f"the log ends at entry {checked} but entry {last_seq} was written last",
        )
    return checked, None
