"""core/prepared.py compiles a queryset once from stand-in values: it must refuse any
queryset whose SQL would keep something of the stand-ins for later callers."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from classvault.core.prepared import execute_planned_once, prepared_values
from classvault.recordings.models import Recording, RecordingStatus
from classvault.sharing.selectors import recordings_page
from support.personas import NOW


def test_a_value_passed_through_is_filled_in_per_call(world):
    def build(v):
        return Recording.objects.filter(expires_at__gt=v["now"]).values("pk").order_by("pk")

    assert prepared_values(("t", 1), build, {"now": NOW}, limit=5) == []


@pytest.mark.parametrize(
    "build",
    [
        # an instant computed from the stand-in for `now`
        lambda v: Recording.objects.filter(expires_at__gt=v["now"] - timedelta(days=1)),
        # a day computed from it
        lambda v: Recording.objects.filter(recorded_at__date=v["now"].date()),
        # an id computed from the stand-in for the actor
        lambda v: Recording.objects.filter(owner_id=v["actor"] + 1),
    ],
    ids=["instant", "day", "id"],
)
def test_a_value_computed_from_a_stand_in_is_refused(world, build):
    with pytest.raises(ValueError, match="computed from a stand-in|did not reach"):
        prepared_values(
            ("refused", id(build)),
            lambda v: build(v).values("pk").order_by("pk"),
            {"now": NOW, "actor": world.student.pk},
            limit=5,
        )


# --- PostgreSQL: the statements are planned once per session ---------------------------

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="server-side prepared statements: PostgreSQL"
)


def _server_statements() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def _owned(world) -> None:
    Recording.objects.bulk_create(
        Recording(
            owner=world.student,
            school=world.north,
            title=f"Les {i}",
            recorded_at=NOW - timedelta(minutes=i),
            expires_at=NOW + timedelta(days=90),
            created_at=NOW,
            status=RecordingStatus.READY,
        )
        for i in range(3)
    )


def _forget_prepared() -> None:
    """As in a new session: no statement on the server, none in the bookkeeping."""
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    delattr(connection.connection, "_classvault_server_statements")


def _list_ids(actor) -> list:
    page, _after = recordings_page(actor=actor, now=NOW, limit=50)
    return [item["id"] for item in page]


@on_postgres
def test_the_list_runs_as_one_prepared_statement_with_the_same_rows(world, settings):
    _owned(world)
    settings.CLASSVAULT_DB_PREPARE = False
    plain = _list_ids(world.student)
    assert len(plain) == 3
    settings.CLASSVAULT_DB_PREPARE = True
    with CaptureQueriesContext(connection) as seen:
        assert _list_ids(world.student) == plain
    assert len(seen.captured_queries) == 1, "one statement, as before"
    assert seen.captured_queries[0]["sql"].startswith("EXECUTE cv_")
    name = seen.captured_queries[0]["sql"].split("(")[0].removeprefix("EXECUTE ")
    assert name in _server_statements()
    # Switched off, the same call is the plain SELECT again.
    settings.CLASSVAULT_DB_PREPARE = False
    with CaptureQueriesContext(connection) as seen:
        assert _list_ids(world.student) == plain
    assert seen.captured_queries[0]["sql"].startswith("SELECT")


@on_postgres
def test_a_statement_prepared_in_a_rolled_back_transaction_still_serves(world):
    _owned(world)
    expected = _list_ids(world.student)
    assert len(expected) == 3
    # The statement is prepared inside the transaction rolled back below (prepared
    # statements are the session's, not the transaction's).
    _forget_prepared()
    with pytest.raises(RuntimeError), transaction.atomic():
        assert _list_ids(world.student) == expected
        raise RuntimeError("roll back")
    assert _list_ids(world.student) == expected
    # The bookkeeping lost (e.g. a reused session): preparing again finds the statement.
    delattr(connection.connection, "_classvault_server_statements")
    assert _list_ids(world.student) == expected


@on_postgres
@pytest.mark.parametrize("in_transaction", [False, True], ids=["autocommit", "transaction"])
def test_a_statement_the_server_cannot_prepare_runs_as_it_is(db, in_transaction):
    # The server cannot infer the type of a bare parameter: PREPARE fails, the statement
    # runs with the value bound in the client, and an open transaction goes on unharmed.
    def run():
        with connection.cursor() as cursor:
            execute_planned_once(cursor, "SELECT %s, 'a%%b'", ["x"])
            assert cursor.fetchall() == [("x", "a%b")]
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)

    if in_transaction:
        with transaction.atomic():
            run()
            run()
    else:
        run()
        run()


@on_postgres
def test_preparing_in_a_broken_transaction_fails_as_django_would(world):
    _forget_prepared()
    with transaction.atomic():
        with pytest.raises(DatabaseError), transaction.atomic(savepoint=False):
            connection.cursor().execute("SELECT 1 / 0")
        # Django's own rule for any statement after an error inside the block.
        with pytest.raises(TransactionManagementError):
            _list_ids(world.student)
    # An error Django did not see (caught inside the block): the driver's refusal arrives
    # as Django's DatabaseError, as from any other query, not as psycopg's own.
    _forget_prepared()
    with transaction.atomic():
        with pytest.raises(DatabaseError):
            connection.cursor().execute("SELECT 1 / 0")
        with pytest.raises(DatabaseError, match="aborted"):
            _list_ids(world.student)
        transaction.set_rollback(True)
    assert _list_ids(world.student) == []
