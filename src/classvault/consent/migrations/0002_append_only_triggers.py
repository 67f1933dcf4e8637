"""Make consent history and published privacy statements append-only in the database.

A consent record is evidence of what a pupil or guardian signed, and a statement version is
the text they signed under (R15): UPDATE and DELETE of either raise an error on SQLite and
PostgreSQL, whoever issues them. Current consent lives on the pupil row, which stays
writable for the consent services.
"""

from django.db import migrations

TABLES = {
    "consent_consentrecord": "consent records are append-only",
    "consent_statementversion": "published privacy statements cannot be changed",
}

SQLITE_UP = [
    sql
    for table, message in TABLES.items()
    for sql in (
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{message}'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, '{message}'); END""",
    )
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {table}_{op}" for table in TABLES for op in ("no_update", "no_delete")
]
POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION consent_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION USING MESSAGE = TG_ARGV[0]; END; $$ LANGUAGE plpgsql""",
    *(
        f"""CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION consent_append_only('{message}')"""
        for table, message in TABLES.items()
    ),
]
POSTGRES_DOWN = [
    *(f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS consent_append_only()",
]


def _run(statements_by_vendor):
    def apply(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
