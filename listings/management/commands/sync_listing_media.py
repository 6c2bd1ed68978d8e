"""``manage.py sync_listing_media``: put every listing's screenshot files on the
side its state asks for (public storage only while the listing is public), e.g.
the files uploaded before that rule. Idempotent and batched; safe while the site
and the sweeper run."""

from django.core.management.base import BaseCommand

from listings.services.media import (
    find_misplaced_listings,
    mark_listings_for_sync,
    sweep_media_moves,
)


class Command(BaseCommand):
    help = (
        "Move listing screenshots to private storage while their listing is not public "
        "(and to public storage while it is), under new names; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--mark-only",
            action="store_true",
            help="Only mark the listings; the sweeper (every minute) moves their files.",
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, **options):
        marked = 0
        for ids in find_misplaced_listings(batch_size=options["batch_size"]):
            marked += mark_listings_for_sync(listing_ids=ids)
        self.stdout.write(f"Listings with screenshots to move: {marked}")
        if options["mark_only"]:
            return
        handled = sweep_media_moves(batch_size=options["batch_size"])
        self.stdout.write(self.style.SUCCESS(f"Listings handled: {handled}"))
