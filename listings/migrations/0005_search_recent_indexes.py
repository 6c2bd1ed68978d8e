"""The recent listings' indexes: ids of the flagged rows (the refresh job's ranges)
and a GIN index of the flagged published rows' search documents (the relevance
window's recent path). Built CONCURRENTLY on PostgreSQL (the migration is not
atomic): listing writes go on meanwhile; the GIN index is PostgreSQL only."""

from django.db import migrations, models

from kernel.indexes import create_index_concurrently

IDS = models.Index(
    fields=["id"], name="listing_search_recent", condition=models.Q(search_recent=True)
)
SQL = {
    "listing_search_recent": "(id) WHERE search_recent",
    "listing_search_recent_gin": (
        "USING gin (search_vector) WHERE state = 'PUBLISHED' AND search_recent"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.add_index(apps.get_model("listings", "Listing"), IDS)
        return
    for name, definition in SQL.items():
        create_index_concurrently(schema_editor, name, "listings_listing", definition)


def drop(apps, schema_editor):
    for name in SQL:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("listings", "0004_search_recent")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(create, drop)],
            state_operations=[migrations.AddIndex(model_name="listing", index=IDS)],
        )
    ]
