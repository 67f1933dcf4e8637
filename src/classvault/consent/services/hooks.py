"""The hook where a withdrawal reaches the apps above consent (recordings, sharing)."""

from datetime import datetime
from typing import Protocol

from classvault.core.hooks import Hook
from classvault.people.models import User

from ..models import ConsentRecord, Pupil


class WithdrawalHandler(Protocol):
    def __call__(
        self, *, pupil: Pupil, scope: str, record: ConsentRecord, actor: User, now: datetime
    ) -> None: ...


consent_withdrawn: Hook[WithdrawalHandler] = Hook("consent.withdrawn")
"""Run inside the withdrawal's transaction (contract: "Pupils and consent").

``scope`` "all" must block every recording the pupil takes part in (its stream answers 409
until it is redacted or deleted); "peer_viewing" must cancel the screenings of those
recordings. The consent app knows no recordings: the recordings and sharing apps register
their handlers in their ``AppConfig.ready``. A handler that raises undoes the withdrawal, so
a withdrawal is never registered without its effects.
"""
