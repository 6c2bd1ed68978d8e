"""The recent-search flag (``Listing.search_recent``); its indexes come in 0005.

Existing rows start unflagged (``db_default`` false while the column is added),
new rows flagged: the flagged rows are a suffix of the table by id from the first
moment, as the relevance window's recent path needs (docs/listings.md). The
hourly beat job ``listings.refresh_search_recency`` then flags the newest
``SEARCH_RECENT_LISTINGS`` published listings, in batches (until it first runs,
searches take the whole-table path: slower, the same pages).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("listings", "0003_banded_catalogue_indexes")]

    operations = [
        migrations.AddField(
            model_name="listing",
            name="search_recent",
            field=models.BooleanField(db_default=False, default=False, editable=False),
        ),
        migrations.AlterField(
            model_name="listing",
            name="search_recent",
            field=models.BooleanField(db_default=True, default=True, editable=False),
        ),
    ]
