"""``manage.py sync_rules``: load the rules catalogue (idempotent)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from governance.catalogue import load_catalogue, sync_catalogue
from governance.models import Rule, RuleVersion


class Command(BaseCommand):
    help = "Load governance/data/rules.json into the rules catalogue (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--file", help="Another catalogue file (JSON, same format).")

    def handle(self, *args, **options):
        entries = load_catalogue(options.get("file"))
        result = sync_catalogue(
            Rule=Rule, RuleVersion=RuleVersion, entries=entries, now=timezone.now()
        )
        self.stdout.write(self.style.SUCCESS(f"Rules catalogue: {result}"))
