"""Make the audit table append-only in the database itself (see core.append_only)."""

from django.db import migrations

from classvault.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        append_only(
            {"audit_auditevent": "audit events are append-only"}, function="audit_append_only"
        ),
    ]
