"""Search tiers (``Listing.search_tier``) replace the recent-search flag.

Every existing row starts in tier 0, new rows too (``db_default``): tier 0 holds
everything until the hourly ``listings.refresh_search_tiers`` job first runs
(searches are then read as from one whole-table index: slower, the same pages).
One partial GIN index per tier (``search.TIERS``), built CONCURRENTLY on
PostgreSQL (the migration is not atomic: listing writes go on meanwhile).

``search_recent`` leaves the model only: its column and its two indexes stay, so
the previous release, still serving while this one is rolled out, keeps working;
the next release's migration drops them (docs/deploy.md).
"""

from django.db import migrations, models

from kernel.indexes import create_index_concurrently

TIERS = 6  # listings.search.TIERS when this migration was written
TIER_IDS = models.Index(fields=["search_tier", "id"], name="listing_search_tier")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.add_index(apps.get_model("listings", "Listing"), TIER_IDS)
        return
    table = "listings_listing"
    create_index_concurrently(schema_editor, "listing_search_tier", table, "(search_tier, id)")
    for tier in range(TIERS):
        create_index_concurrently(
            schema_editor,
            f"listing_search_tier{tier}_gin",
            table,
            f"USING gin (search_vector) WHERE state = 'PUBLISHED' AND search_tier = {tier}",
        )


def drop(apps, schema_editor):
    for name in ["listing_search_tier"] + [f"listing_search_tier{t}_gin" for t in range(TIERS)]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("listings", "0008_banded_platform_indexes")]

    operations = [
        migrations.AddField(
            model_name="listing",
            name="search_tier",
            field=models.SmallIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(create, drop)],
            state_operations=[migrations.AddIndex(model_name="listing", index=TIER_IDS)],
        ),
        # The model forgets the flag; the database keeps it for the previous release.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="listing", name="listing_search_recent"),
                migrations.RemoveField(model_name="listing", name="search_recent"),
            ]
        ),
    ]
