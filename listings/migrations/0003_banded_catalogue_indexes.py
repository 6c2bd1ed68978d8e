"""Indexes for the banded catalogue plans (``listings.bands``); PostgreSQL only.

Each walks one band of one column (its bit length) in the order of the other,
the filter columns INCLUDEd so that the walk reads the index alone. Built
CONCURRENTLY (the migration is not atomic): writes to listings go on meanwhile.
The expression must stay identical to ``listings.bands.BAND_SQL``.
"""

from django.db import migrations

INDEXES = {
    "listing_pub_priceband_followers": (
        "(length(ltrim(price::bit(64)::text, '0')), follower_count DESC, id DESC) "
        "INCLUDE (price, platform)"
    ),
    "listing_pub_followerband_price": (
        "(length(ltrim(follower_count::bit(64)::text, '0')), price, id) "
        "INCLUDE (follower_count, platform)"
    ),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in INDEXES.items():
        # A CONCURRENTLY build that failed or was cancelled leaves an INVALID index
        # that IF NOT EXISTS would keep: drop it and build again.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid "
                "WHERE c.relname = %s AND NOT i.indisvalid",
                [name],
            )
            if cursor.fetchone():
                schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON listings_listing "
            f"{columns} WHERE state = 'PUBLISHED'"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("listings", "0002_search_and_catalogue_indexes")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
