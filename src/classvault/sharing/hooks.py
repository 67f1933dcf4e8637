"""The hook where retention tells the visibility rule what outlives its expiry.

From ``expires_at`` on a recording is visible to nobody, sweep or not; one under legal hold
stays visible to the privacy officer only (contract: "Retention and legal hold"). Legal
holds live in the retention app, which sits *above* sharing: sharing may not import it.
Retention registers a query expression here in its ``AppConfig.ready`` instead, so the
rule itself stays in one place (:mod:`.selectors`) and retention owns what "held" means.
"""

from typing import Protocol

from django.db.models import Q
from django.db.models.expressions import Combinable

from classvault.core.hooks import Hook


class KeptAfterExpiry(Protocol):
    """An expression for ``Recording`` querysets (with ``OuterRef("pk")`` for the recording):
    true while something keeps the recording past its expiry, e.g. an active legal hold."""

    def __call__(self) -> Combinable: ...


kept_after_expiry_hook: Hook[KeptAfterExpiry] = Hook("sharing.kept_after_expiry")


def kept_after_expiry() -> Q | None:
    """The filter for recordings kept past their expiry, or None when nothing registered
    one: then an expired recording is visible to nobody (failing closed)."""
    kept = None
    for condition in kept_after_expiry_hook.run():
        kept = Q(condition) if kept is None else kept | Q(condition)
    return kept
