"""One name for one thing: the "epoch key" is the retention key everywhere.

Only names change (table vault_epochkey becomes vault_retentionkey, column vault_datakey.epoch
becomes retention_key); every row, label and key file stays as it is.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0002_retention_keys"),
    ]

    operations = [
        migrations.RenameModel(old_name="EpochKey", new_name="RetentionKey"),
        migrations.RenameField(model_name="datakey", old_name="epoch", new_name="retention_key"),
    ]
