"""Load the rules catalogue (governance/data/rules.json) — the same code as
``manage.py sync_rules``, given this migration's historical models."""

from django.db import migrations
from django.utils import timezone


def load(apps, schema_editor):
    from governance.catalogue import load_catalogue, sync_catalogue

    sync_catalogue(
        Rule=apps.get_model("governance", "Rule"),
        RuleVersion=apps.get_model("governance", "RuleVersion"),
        entries=load_catalogue(),
        now=timezone.now(),
    )


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
