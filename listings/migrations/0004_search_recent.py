"""The recent-search flag and its indexes (``Listing.search_recent``).

Existing rows start unflagged (``db_default`` false while the column is added),
new rows flagged: the flagged rows are a suffix of the table by id from the first
moment, as the relevance window's recent path needs (docs/listings.md). The
hourly beat job ``listings.refresh_search_recency`` then flags the newest
``SEARCH_RECENT_LISTINGS`` published listings (until it first runs, searches take
the whole-table path: slower, the same pages). The GIN index over the flagged rows
is PostgreSQL only and built CONCURRENTLY (the migration is not atomic).
"""

from django.db import migrations, models

GIN = "listing_search_recent_gin"


def create_gin(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # A CONCURRENTLY build that failed leaves an INVALID index: drop it, build again.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid "
            "WHERE c.relname = %s AND NOT i.indisvalid",
            [GIN],
        )
        if cursor.fetchone():
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {GIN}")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {GIN} ON listings_listing "
        "USING gin (search_vector) WHERE state = 'PUBLISHED' AND search_recent"
    )


def drop_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {GIN}")


class Migration(migrations.Migration):
    atomic = False

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
        migrations.AddIndex(
            model_name="listing",
            index=models.Index(
                condition=models.Q(("search_recent", True)),
                fields=["id"],
                name="listing_search_recent",
            ),
        ),
        migrations.RunPython(create_gin, drop_gin),
    ]
