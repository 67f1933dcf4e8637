"""Database errors as Django raises them, for tests of the "try again" paths."""

import psycopg.errors
from django.db import OperationalError


def wrapped_error(cause: type[psycopg.Error], message: str) -> OperationalError:
    """Django's OperationalError for a psycopg error, which is its ``__cause__`` (as
    Django's error wrapper sets it)."""
    try:
        try:
            raise cause(message)
        except psycopg.Error as exc:
            raise OperationalError(*exc.args) from exc
    except OperationalError as wrapped:
        return wrapped


def busy_error(kind: str = "deadlock") -> OperationalError:
    """Django's OperationalError for a PostgreSQL deadlock or serialization failure, or
    SQLite's lock."""
    if kind == "locked":
        return OperationalError("database is locked")
    cause = {
        "deadlock": psycopg.errors.DeadlockDetected,
        "serialization": psycopg.errors.SerializationFailure,
    }[kind]
    return wrapped_error(cause, f"{kind} detected")
