"""Hooks: the one way a lower app calls up into a higher one.

The apps form a one-way stack (docs/architecture.md): a lower app never imports a higher
one. When a change below must cause work above — a withdrawal blocks recordings, an
enrolment change recomputes expiries — the lower app declares a :class:`Hook` and runs it;
the higher app registers its handler in its ``AppConfig.ready``. Handlers run in
registration order, synchronously, inside the caller's transaction: a handler that raises
undoes the change that ran the hook, so a change is never committed without its effects.
Not Django signals: a hook is declared where it is run, and its handlers are named there.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

Handler = TypeVar("Handler", bound=Callable[..., Any])


class Hook(Generic[Handler]):
    """A named list of handlers, all called with the same keyword arguments."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[Handler] = []

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._handlers)} handler(s)>"

    def register(self, handler: Handler) -> Handler:
        """Subscribe (usable as a decorator); registering twice is a no-op."""
        if handler not in self._handlers:
            self._handlers.append(handler)
        return handler

    @property
    def handlers(self) -> tuple[Handler, ...]:
        return tuple(self._handlers)

    def run(self, **kwargs: Any) -> list[Any]:
        """Call every handler in registration order; their results, in that order."""
        return [handler(**kwargs) for handler in self.handlers]

    def first(self, **kwargs: Any) -> Any:
        """Ask the handlers in order; the first answer that is not None (or None)."""
        for handler in self.handlers:
            answer = handler(**kwargs)
            if answer is not None:
                return answer
        return None

    @contextmanager
    def replaced(self, *handlers: Handler) -> Iterator[None]:
        """For tests: run with exactly these handlers, then restore the registered ones."""
        saved = self._handlers
        self._handlers = list(handlers)
        try:
            yield
        finally:
            self._handlers = saved
