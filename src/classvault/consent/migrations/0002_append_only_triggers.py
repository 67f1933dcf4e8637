"""Make consent history and published privacy statements append-only in the database.

A consent record is evidence of what a pupil or guardian signed, and a statement version is
the text they signed under (R15): UPDATE and DELETE of either raise an error on SQLite and
PostgreSQL, whoever issues them. Current consent lives on the pupil row, which stays
writable for the consent services.
"""

from django.db import migrations

from classvault.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]

    operations = [
        append_only(
            {
                "consent_consentrecord": "consent records are append-only",
                "consent_statementversion": "published privacy statements cannot be changed",
            },
            function="consent_append_only",
        ),
    ]
