"""Record where the keyed chain starts. Existing events are left exactly as they are: they keep
their plain SHA-256, and the next event written records the switch (docs/audit.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.AddField(
            model_name="audithead",
            name="keyed_from",
            field=models.BigIntegerField(default=0),
        ),
    ]
