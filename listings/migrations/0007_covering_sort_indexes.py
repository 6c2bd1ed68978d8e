"""The four catalogue sort indexes INCLUDE the filter columns they lack (PostgreSQL).

A filtered walk (the page's ids, ``selectors.catalogue``) and the capped count
are then index-only scans, however rare the combination: they read the heap of
every row they tested (up to ~7,000 for a rare platform with a follower bound).
Each index is rebuilt under a temporary name, CONCURRENTLY (the migration is not
atomic: writes go on), and takes the old name once the old index is dropped.
SQLite ignores INCLUDE: its indexes stay as they are.
"""

from django.db import migrations, models

from kernel.indexes import create_index_concurrently

PUBLISHED = models.Q(state="PUBLISHED")
TABLE = "listings_listing"
WHERE = "WHERE state = 'PUBLISHED'"

#: name → (fields, include)
SORT = {
    "listing_pub_newest": (["-published_at", "-id"], ["platform", "follower_count", "price"]),
    "listing_pub_price": (["price", "id"], ["platform", "follower_count"]),
    "listing_pub_followers": (["-follower_count", "-id"], ["platform", "price"]),
    "listing_pub_platform": (["platform", "-published_at", "-id"], ["follower_count", "price"]),
}


def _columns(fields: list[str]) -> str:
    return ", ".join(f"{f[1:]} DESC" if f.startswith("-") else f for f in fields)


def _replace(schema_editor, name: str, definition: str) -> None:
    """Build ``definition`` beside the index ``name``, then swap it in."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        row = cursor.fetchone()
    if row and f"USING btree {definition.split(' WHERE')[0]} WHERE" in row[0]:
        return  # already this definition (a rerun)
    temporary = f"{name}_new"
    create_index_concurrently(schema_editor, temporary, TABLE, definition)
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    schema_editor.execute(f"ALTER INDEX {temporary} RENAME TO {name}")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (fields, include) in SORT.items():
        _replace(schema_editor, name, f"({_columns(fields)}) INCLUDE ({', '.join(include)}) {WHERE}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (fields, _include) in SORT.items():
        _replace(schema_editor, name, f"({_columns(fields)}) {WHERE}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("listings", "0006_watchlist_saved_searches")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                op
                for name, (fields, include) in SORT.items()
                for op in (
                    migrations.RemoveIndex(model_name="listing", name=name),
                    migrations.AddIndex(
                        model_name="listing",
                        index=models.Index(
                            fields=fields, include=include, name=name, condition=PUBLISHED
                        ),
                    ),
                )
            ],
        )
    ]
