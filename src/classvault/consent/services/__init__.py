"""Writes about pupils, consent and the privacy statement.

Consent is an append-only history: every form registered and every in-person withdrawal
adds one ConsentRecord and sets the pupil's current state in the same transaction, with its
audit event. Import what you need from here; the modules behind it are an implementation
detail.
"""

from .consent import consent_give, consent_withdraw
from .hooks import (
    WithdrawalHandler,
    on_consent_withdrawn,
    register_withdrawal_handler,
    withdrawal_handlers,
)
from .pupils import ImportPlan, PlannedRow, pupil_create, pupils_import
from .statement import statement_publish

__all__ = [
    "ImportPlan",
    "PlannedRow",
    "WithdrawalHandler",
    "consent_give",
    "consent_withdraw",
    "on_consent_withdrawn",
    "pupil_create",
    "pupils_import",
    "register_withdrawal_handler",
    "statement_publish",
    "withdrawal_handlers",
]
