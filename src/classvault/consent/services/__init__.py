"""Writes about pupils, consent and the privacy statement.

Consent is an append-only history: every form registered and every in-person withdrawal
adds one ConsentRecord and sets the pupil's current state in the same transaction, with its
audit event. Import what you need from here; the modules behind it are an implementation
detail.
"""

from .consent import consent_give, consent_withdraw
from .hooks import WithdrawalHandler, consent_withdrawn
from .pupils import ImportPlan, PlannedRow, pupil_create, pupils_import
from .statement import statement_publish

__all__ = [
    "ImportPlan",
    "PlannedRow",
    "WithdrawalHandler",
    "consent_withdrawn",
    "consent_give",
    "consent_withdraw",
    "pupil_create",
    "pupils_import",
    "statement_publish",
]
