"""Database triggers that make a table append-only, for migrations (SQLite and PostgreSQL).

UPDATE and DELETE raise an error whoever issues them. Someone with DDL rights can still drop
the triggers; the audit log's hash chain is what catches that.
"""

from django.db import migrations


def _statements(tables: dict[str, str], function: str) -> dict[str, tuple[list, list]]:
    sqlite_up = [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{op} BEFORE {op.upper()} ON {table}
            BEGIN SELECT RAISE(ABORT, '{message}'); END"""
        for table, message in tables.items()
        for op in ("update", "delete")
    ]
    sqlite_down = [
        f"DROP TRIGGER IF EXISTS {table}_no_{op}" for table in tables for op in ("update", "delete")
    ]
    postgres_up = [
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION USING MESSAGE = TG_ARGV[0]; END; $$ LANGUAGE plpgsql""",
        *(
            f"""CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
              FOR EACH ROW EXECUTE FUNCTION {function}('{message}')"""
            for table, message in tables.items()
        ),
    ]
    postgres_down = [
        *(f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table}" for table in tables),
        f"DROP FUNCTION IF EXISTS {function}()",
    ]
    return {"sqlite": (sqlite_up, sqlite_down), "postgresql": (postgres_up, postgres_down)}


def append_only(tables: dict[str, str], *, function: str) -> migrations.RunPython:
    """A migration operation guarding ``tables`` (name -> error message)."""
    statements = _statements(tables, function)

    def run(index: int):
        def apply(apps, schema_editor):
            for sql in statements.get(schema_editor.connection.vendor, ([], []))[index]:
                # No parameters: a literal % in SQL must not be taken for a placeholder.
                schema_editor.execute(sql, params=None)

        return apply

    return migrations.RunPython(run(0), run(1))
