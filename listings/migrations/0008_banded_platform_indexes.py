"""Banded indexes with the platform after the band (``listings.bands``; PostgreSQL).

With a platform filter the bands of migration 0003 read every platform's rows of
a band and dropped the others' (nine in ten for one platform of ten); here the
platform is a seek in each band. Those of 0003 stay for the walks without a
platform filter (their order within a band is the sort's across all platforms).
Built CONCURRENTLY (the migration is not atomic). The band expression must stay
identical to ``listings.bands.BAND_SQL``.
"""

from django.db import migrations

from kernel.indexes import create_index_concurrently

WHERE = "WHERE state = 'PUBLISHED'"
BANDED = {
    "listing_pub_priceband_platform": (
        "(length(ltrim(price::bit(64)::text, '0')), platform, follower_count DESC, id DESC) "
        f"INCLUDE (price) {WHERE}"
    ),
    "listing_pub_followerband_platform": (
        "(length(ltrim(follower_count::bit(64)::text, '0')), platform, price, id) "
        f"INCLUDE (follower_count) {WHERE}"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in BANDED.items():
        create_index_concurrently(schema_editor, name, "listings_listing", definition)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in BANDED:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("listings", "0007_covering_sort_indexes")]

    operations = [migrations.RunPython(create, drop)]
