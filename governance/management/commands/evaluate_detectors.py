"""``manage.py evaluate_detectors``: precision and recall per rule on the
detector corpus (dev and held-out parts)."""

from django.core.management.base import BaseCommand

from governance.detectors.evaluate import report


class Command(BaseCommand):
    help = "Print the detectors' precision and recall per rule on the committed corpus."

    def add_arguments(self, parser):
        parser.add_argument("--mistakes", action="store_true", help="List misclassified cases.")

    def handle(self, *args, **options):
        report(out=self.stdout, show_mistakes=options["mistakes"])
