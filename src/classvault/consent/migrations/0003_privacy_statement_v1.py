"""Publish version 1 of the privacy statement, so every database has one in force (R15).

The text is the joint controllers' original statement (``content/``); the contacts are the
ones it names, plus the supervisory authority's public telephone number (R16). Later
versions are published with ``POST /api/v1/privacy-statements``.
"""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

CONTENT = Path(__file__).resolve().parent.parent / "content"
VERSION = "1"


def publish_v1(apps, schema_editor):
    StatementVersion = apps.get_model("consent", "StatementVersion")
    if StatementVersion.objects.filter(version=VERSION).exists():
        return
    StatementVersion.objects.create(
        version=VERSION,
        # The day this installation started using it: the seed text carries no date.
        published_on=timezone.localdate(),
        text=(CONTENT / "privacy_statement_v1_nl.md").read_text(encoding="utf-8").strip(),
        contacts=json.loads(
            (CONTENT / "privacy_statement_v1_contacts.json").read_text(encoding="utf-8")
        ),
        published_at=timezone.now(),
    )


class Migration(migrations.Migration):
    dependencies = [("consent", "0002_append_only_triggers")]

    # No reverse: published versions are never deleted (the trigger refuses it).
    operations = [migrations.RunPython(publish_v1, migrations.RunPython.noop)]
