"""The bearer token of a request, with its user and the user's school, in one fixed query.

Every API request with a token starts here, so this is the hottest read in ClassVault. The
ORM spelling (``select_related("user", "user__school").filter(key_hash=...).first()``)
builds and compiles the same join on every request, about 1 ms of CPU; this module writes
that SELECT once per process from the models' own field lists and only runs it: one
indexed lookup on the token's SHA-256 (``key_hash`` is unique), no slow hash, no
transaction. Values go through the same converters the ORM applies (SQLite stores
datetimes and UUIDs as text), and the instances are made with ``Model.from_db``, as the
ORM makes them: the user and school are cached on the token, so ``token.user`` and
``user.school`` cost no further query.
"""

from typing import Any

from django.db import connection
from django.db.models import Model

from classvault.core.prepared import execute_planned_once

from .models import ApiToken, School, User

_MODELS: list[tuple[type[Model], str]] = [(ApiToken, "t"), (User, "u"), (School, "s")]
# The statement is kept on each connection (one per thread): the converters are its own.
_CACHE_ATTRIBUTE = "_classvault_token_statement"


def _statement() -> tuple[str, list[tuple[type[Model], list[str], list[tuple[Any, list]]]]]:
    """The SELECT and, per model, its field names and each column's converters."""
    cached = getattr(connection, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    quote = connection.ops.quote_name
    columns, shapes = [], []
    for model, alias in _MODELS:
        fields = model._meta.concrete_fields
        columns += [f"{alias}.{quote(f.column)}" for f in fields]
        converters = []
        for field in fields:
            col = field.get_col(alias)
            chain = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            converters.append((col, chain))
        shapes.append((model, [f.attname for f in fields], converters))
    user_fk = ApiToken._meta.get_field("user").column
    school_fk = User._meta.get_field("school").column
    # Names from the models only; the one value is a parameter.
    sql = (
        f"SELECT {', '.join(columns)} "  # noqa: S608
        f"FROM {quote(ApiToken._meta.db_table)} t "
        f"INNER JOIN {quote(User._meta.db_table)} u ON u.{quote('id')} = t.{quote(user_fk)} "
        f"LEFT OUTER JOIN {quote(School._meta.db_table)} s "
        f"ON s.{quote('id')} = u.{quote(school_fk)} "
        f"WHERE t.{quote('key_hash')} = %s"
    )
    setattr(connection, _CACHE_ATTRIBUTE, (sql, shapes))
    return sql, shapes


def token_by_hash(key_hash: str) -> ApiToken | None:
    """The token with this SHA-256, its ``user`` and the user's ``school`` loaded; None if
    there is none (whether it is in force is the caller's question)."""
    sql, shapes = _statement()
    with connection.cursor() as cursor:
        execute_planned_once(cursor, sql, [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    instances: list[Model | None] = []
    start = 0
    for model, names, converters in shapes:
        values = list(row[start : start + len(names)])
        start += len(names)
        if values[0] is None:  # the LEFT JOIN found no school
            instances.append(None)
            continue
        for i, (col, chain) in enumerate(converters):
            for convert in chain:
                values[i] = convert(values[i], col, connection)
        instances.append(model.from_db(connection.alias, names, values))
    token, user, school = instances
    ApiToken._meta.get_field("user").set_cached_value(token, user)
    User._meta.get_field("school").set_cached_value(user, school)
    return token  # type: ignore[return-value]
