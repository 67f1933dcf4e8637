"""A queryset's SQL compiled once per connection, then run again with new values.

Building and compiling a queryset costs Django about as much CPU as a whole small request
otherwise does (the list's visibility rule: filters, a UNION, a subquery, the keyset
bounds: 1-2 ms per request), while its SQL differs between requests only in the values:
who asks, the time, where the page starts. :func:`prepared_values` compiles a queryset
once for each *shape* (the things that change the SQL itself, such as the actor's role),
built from stand-in values, and finds where each stand-in landed among the compiled
parameters; every later call runs that SQL with the real values in those places.

It fails closed: the SQL is always compiled from the stand-ins, never from a caller's
values; a stand-in written into the SQL text instead of a parameter, or a parameter
computed from one (``now - timedelta(days=1)``), stops the compilation with an error (a
stand-in that does not occur at all is a value this shape does not use). What makes the
shape must be in ``key``: a value that is None, or an attribute the builder reads from
something other than ``values``, would otherwise be the first caller's for everybody. The
callers' tests compare the prepared rows with the plain queryset's for every shape.
"""

import hashlib
import itertools
import re
import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

# Stand-ins no real value takes: far in the past, negative ids, a fixed odd UUID.
_INT_BASE = -7_300_000_000_000
_INSTANT_BASE = datetime(1901, 2, 3, 4, 5, 6, 100_000, tzinfo=UTC)
_UUID_BASE = 0x5E471E1_0000_4000_8000_000000000000

_CACHE_ATTRIBUTE = "_classvault_prepared"
# On the driver's connection (a new one after every reconnect, unlike Django's wrapper):
# the server-side statements that session holds, by name; False for one that cannot be.
_SERVER_ATTRIBUTE = "_classvault_server_statements"
_PLACEHOLDER = re.compile(r"%[s%]")


def _stand_in(value: Any, index: int) -> Any:
    if isinstance(value, bool):
        raise TypeError("a boolean changes the SQL itself: put it in the key")
    if isinstance(value, int):
        return _INT_BASE - index
    if isinstance(value, datetime):
        return _INSTANT_BASE.replace(microsecond=100_000 + index)
    if isinstance(value, uuid.UUID):
        return uuid.UUID(int=_UUID_BASE + index)
    raise TypeError(f"no stand-in for a {type(value).__name__}")


def _adapters(value: Any) -> list[Callable[[Any], Any]]:
    """The forms a value may take among a compiled query's parameters: itself, or what
    the backend adapts it to (SQLite stores instants and UUIDs as text)."""
    forms: list[Callable[[Any], Any]] = [lambda v: v]
    if isinstance(value, datetime):
        forms.append(connection.ops.adapt_datetimefield_value)
    if isinstance(value, uuid.UUID) and not connection.features.has_native_uuid_field:
        forms.append(lambda v: v.hex)
    return forms


def _marks(stand_in: Any) -> list[str]:
    """How a stand-in would read if it were written into the SQL text."""
    if isinstance(stand_in, datetime):
        return [stand_in.date().isoformat()]
    if isinstance(stand_in, uuid.UUID):
        return [str(stand_in), stand_in.hex]
    return [str(stand_in)]


def _derived_from_stand_in(param: Any) -> bool:
    """Whether a compiled parameter looks computed from a stand-in: an instant or a day
    near the stand-ins' year (in any form the backend adapts it to), an int near their base
    or a UUID in their range. No real value is: nothing in ClassVault predates 1950."""
    if isinstance(param, bool):
        return False
    if isinstance(param, date):  # datetimes too
        return param.year < 1950
    if isinstance(param, int):
        return param < _INT_BASE // 2
    if isinstance(param, uuid.UUID):
        return abs(param.int - _UUID_BASE) < 2**32
    if isinstance(param, str):  # SQLite's text forms of instants and UUIDs
        if param[:4].isdigit() and param[4:5] == "-":
            return int(param[:4]) < 1950
        hexdigits = param.replace("-", "")
        if len(hexdigits) == 32:
            try:
                return _derived_from_stand_in(uuid.UUID(hex=hexdigits))
            except ValueError:
                return False
    return False


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: list[Any]
    slots: list[tuple[int, str, Callable[[Any], Any]]]  # parameter index, value name, adapter
    names: list[str]
    compiler: Any
    converters: dict


def _compile(build: Callable[[dict[str, Any]], QuerySet], values: dict[str, Any]) -> _Statement:
    stand_ins = {name: _stand_in(value, i) for i, (name, value) in enumerate(values.items())}
    queryset = build(stand_ins)
    query = queryset.query
    if query.low_mark or query.high_mark is not None:
        raise ValueError("prepare the queryset unsliced: the limit is a parameter")
    if query.extra_select or query.annotation_select or not query.values_select:
        raise ValueError("prepare a .values() queryset of plain fields")
    compiler = query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    slots, found = [], set()
    for index, param in enumerate(params):
        for name, stand_in in stand_ins.items():
            adapter = next((a for a in _adapters(stand_in) if a(stand_in) == param), None)
            if adapter is not None:
                slots.append((index, name, adapter))
                found.add(name)
                break
    # A parameter computed from a stand-in (``now - timedelta(...)``, ``actor + 1``) would
    # be frozen at the stand-in's value for every later caller: refuse any that is not one.
    for index, param in enumerate(params):
        if index not in {slot for slot, _, _ in slots} and _derived_from_stand_in(param):
            raise ValueError(f"parameter {index} ({param!r}) was computed from a stand-in")
    # A value the shape does not use (the privacy officer's list names no actor) is fine;
    # one written into the SQL text, or changed on its way to the parameters, is not.
    for name in set(stand_ins) - found:
        stand_in = stand_ins[name]
        if any(mark in sql for mark in _marks(stand_in)):
            raise ValueError(f"{name!r} did not reach the SQL as a parameter")
    return _Statement(
        sql=f"{sql} LIMIT %s",
        params=list(params),
        slots=slots,
        names=list(query.values_select),
        compiler=compiler,
        converters=compiler.get_converters([column for column, _, _ in compiler.select]),
    )


def prepared_values(
    key: Hashable,
    build: Callable[[dict[str, Any]], QuerySet],
    values: dict[str, Any],
    *,
    limit: int,
) -> list[dict[str, Any]]:
    """The first ``limit`` rows of ``build(values)`` (an ordered, unsliced ``.values()``
    queryset of plain fields) as dicts, compiled once per connection for each ``key``.

    ``values`` are the ints, instants and UUIDs that differ between calls of one shape;
    none may be None (a None changes the SQL: say so in ``key``). ``build`` must make its
    queryset from ``values`` and ``key`` only.
    """
    cache = getattr(connection, _CACHE_ATTRIBUTE, None)
    if cache is None:
        cache = {}
        setattr(connection, _CACHE_ATTRIBUTE, cache)
    full_key = (key, tuple(values))
    statement = cache.get(full_key)
    if statement is None:
        statement = cache[full_key] = _compile(build, values)
    params = list(statement.params)
    for index, name, adapter in statement.slots:
        params[index] = adapter(values[name])
    params.append(limit)
    with connection.cursor() as cursor:
        execute_planned_once(cursor, statement.sql, params)
        rows = cursor.fetchall()
    if statement.converters:  # SQLite's text instants and UUIDs; none on PostgreSQL
        rows = statement.compiler.apply_converters(rows, statement.converters)
    return [dict(zip(statement.names, row, strict=True)) for row in rows]


def execute_planned_once(cursor: Any, sql: str, params: Sequence[Any]) -> None:
    """``cursor.execute(sql, params)``; on PostgreSQL through a server-side prepared
    statement, so the server plans it once per session instead of on every request.

    Django binds parameters in the client: the server parses and plans each statement
    anew, which for the trainer's list (a UNION of joins) costs as much as running it. Here
    the statement is ``PREPARE``d once per database session under a name derived from its
    text, and each call is ``EXECUTE name(values)``, still through Django's cursor (its
    wrappers and query log see one statement, as before). A prepared statement lives as
    long as the session, whatever transaction it was made in, so it is made on the driver's
    connection, inside a savepoint when a transaction is open; one the server cannot
    prepare (a parameter whose type it cannot infer) is run as it is. Off with
    ``CLASSVAULT_DB_PREPARE=0`` (e.g. behind a transaction-mode connection pooler, which
    hands one session's statements to another).
    """
    if connection.vendor != "postgresql" or not settings.CLASSVAULT_DB_PREPARE:
        cursor.execute(sql, params)
        return
    raw = cursor.cursor.connection
    held = getattr(raw, _SERVER_ATTRIBUTE, None)
    if held is None:
        held = {}
        setattr(raw, _SERVER_ATTRIBUTE, held)
    name = "cv_" + hashlib.sha256(sql.encode()).hexdigest()[:24]
    if name not in held:
        # As Django's own cursor would: no statement in a broken atomic block, and the
        # driver's errors as Django's (a lost connection is then closed after the request).
        connection.validate_no_broken_transaction()
        with connection.wrap_database_errors:
            held[name] = _prepare(raw, name, sql)
    if not held[name]:
        cursor.execute(sql, params)
        return
    marks = ", ".join(["%s"] * len(params))
    cursor.execute(f"EXECUTE {name}({marks})" if params else f"EXECUTE {name}", params)


def _prepare(raw: Any, name: str, sql: str) -> bool:
    """``PREPARE name AS sql`` on the driver's connection; False if the server refuses."""
    import psycopg  # only on PostgreSQL

    count = itertools.count(1)
    text = _PLACEHOLDER.sub(lambda m: "%" if m[0] == "%%" else f"${next(count)}", sql)
    # Inside Django's atomic block the driver is not in autocommit, and begins the
    # transaction with the first statement, ours included.
    in_transaction = (
        not raw.autocommit or raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    )
    with raw.cursor() as cursor:
        if in_transaction:
            cursor.execute("SAVEPOINT classvault_prepare")
        try:
            cursor.execute(f"PREPARE {name} AS {text}")
        except psycopg.DatabaseError as exc:
            if in_transaction:
                cursor.execute("ROLLBACK TO SAVEPOINT classvault_prepare")
                cursor.execute("RELEASE SAVEPOINT classvault_prepare")
            # Made by an earlier call whose bookkeeping was lost: the same text.
            return isinstance(exc, psycopg.errors.DuplicatePreparedStatement)
        if in_transaction:
            cursor.execute("RELEASE SAVEPOINT classvault_prepare")
    return True
