from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="datakey",
            name="epoch",
            field=models.CharField(blank=True, db_index=True, default="", max_length=64),
        ),
        migrations.CreateModel(
            name="EpochKey",
            fields=[
                ("label", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("key_id", models.CharField(blank=True, max_length=16)),
                ("created_at", models.DateTimeField()),
                ("destroyed_at", models.DateTimeField(blank=True, db_index=True, null=True)),
            ],
        ),
    ]
