"""Screenshots live in public storage only while their listing is public
(listings.media). Existing files of listings that are not public are marked
here (one query, batched inserts); the sweeper (listings.sweep_media_moves,
every minute) moves them to private storage under new names, or at once:
``manage.py sync_listing_media``."""

import django.utils.timezone
import listings.media
import listings.models
from django.db import migrations, models
from django.db.models import Q

BATCH = 1000


def mark_files_of_hidden_listings(apps, schema_editor):
    shots = apps.get_model("listings", "ListingScreenshot")
    moves = apps.get_model("listings", "ScreenshotMove")
    ids = (
        # Listing.MEDIA_PUBLIC_STATES when written.
        shots.objects.exclude(listing__state__in=["PUBLISHED", "RESERVED"])
        .filter(Q(image__startswith="listings/") | Q(thumbnail__startswith="listings/"))
        .order_by("listing_id")
        .values_list("listing_id", flat=True)
        .distinct()
    )
    batch = []
    for listing_id in ids.iterator(chunk_size=BATCH):
        batch.append(moves(listing_id=listing_id))
        if len(batch) == BATCH:
            moves.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    moves.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ('listings', '0009_search_tiers'),
    ]

    operations = [
        migrations.CreateModel(
            name='ScreenshotMove',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('listing_id', models.BigIntegerField(unique=True, verbose_name='listing')),
                ('pending', models.BooleanField(default=True, verbose_name='move pending')),
                ('orphans', models.JSONField(blank=True, default=list, verbose_name='old files to delete')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='updated')),
            ],
            options={
                'verbose_name': 'screenshot move',
                'verbose_name_plural': 'screenshot moves',
            },
        ),
        migrations.AlterField(
            model_name='listingscreenshot',
            name='image',
            field=models.ImageField(height_field='height', storage=listings.media.screenshot_storage, upload_to=listings.models.screenshot_path, verbose_name='image', width_field='width'),
        ),
        migrations.AlterField(
            model_name='listingscreenshot',
            name='thumbnail',
            field=models.ImageField(blank=True, storage=listings.media.screenshot_storage, upload_to=listings.models.thumbnail_path, verbose_name='thumbnail'),
        ),
        migrations.RunPython(mark_files_of_hidden_listings, migrations.RunPython.noop),
    ]
