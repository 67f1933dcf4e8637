"""The integration point where a withdrawal reaches the recordings."""

from datetime import datetime
from typing import Protocol

from classvault.people.models import User

from ..models import ConsentRecord, Pupil


class WithdrawalHandler(Protocol):
    def __call__(self, *, pupil: Pupil, scope: str, record: ConsentRecord, actor: User,
                 now: datetime) -> None: ...


# Called inside the withdrawal's transaction, in registration order. A handler that raises
# undoes the withdrawal, so a withdrawal is never registered without its effects.
withdrawal_handlers: list[WithdrawalHandler] = []


def register_withdrawal_handler(handler: WithdrawalHandler) -> WithdrawalHandler:
    """Subscribe to withdrawals (usable as a decorator); registering twice is a no-op."""
    if handler not in withdrawal_handlers:
        withdrawal_handlers.append(handler)
    return handler


def on_consent_withdrawn(*, pupil: Pupil, scope: str, record: ConsentRecord, actor: User,
                         now: datetime) -> None:
    """Where a withdrawal reaches the recordings (contract: "Pupils and consent").

    ``scope`` "all" must block every recording the pupil takes part in (its stream answers
    409 until it is redacted or deleted); "peer_viewing" must cancel the screenings of those
    recordings. The consent app knows no recordings: the recordings and sharing apps
    register their handlers with :func:`register_withdrawal_handler` (in their
    ``AppConfig.ready``). Until they do, a withdrawal blocks nothing.
    """
    for handler in list(withdrawal_handlers):
        handler(pupil=pupil, scope=scope, record=record, actor=actor, now=now)
