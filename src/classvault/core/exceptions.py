"""Domain errors that every interface maps to the contract's status codes."""

from typing import Any


class DomainError(Exception):
    """Base of the errors a service or selector raises on purpose."""

    status = 400

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotVisible(DomainError):
    """Missing, or not visible to the actor: the two are indistinguishable (404)."""

    status = 404


class Forbidden(DomainError):
    """The actor's role may never do this (403)."""

    status = 403


class Conflict(DomainError):
    """Conflicts with consent, legal hold or state (409)."""

    status = 409


class Invalid(DomainError):
    """Invalid input (422)."""

    status = 422


class TooLarge(DomainError):
    """More than the server takes, e.g. an upload over the size limit (413)."""

    status = 413


class RateLimited(DomainError):
    """Too many requests in the current window (429); ``retry_after`` in whole seconds."""

    status = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.retry_after = retry_after
