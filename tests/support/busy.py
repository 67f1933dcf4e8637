"""Transient database errors as Django raises them, for tests of the "try again" paths."""

import psycopg.errors
from django.db import OperationalError


def busy_error(kind: str = "deadlock") -> OperationalError:
    """Django's OperationalError for a PostgreSQL deadlock or serialization failure (the
    psycopg error is its ``__cause__``, as Django's error wrapper sets it) or SQLite lock."""
    if kind == "locked":
        return OperationalError("database is locked")
    cause = {
        "deadlock": psycopg.errors.DeadlockDetected,
        "serialization": psycopg.errors.SerializationFailure,
    }[kind]
    try:
        try:
            raise cause(f"{kind} detected")
        except psycopg.Error as exc:
            raise OperationalError(*exc.args) from exc
    except OperationalError as wrapped:
        return wrapped
