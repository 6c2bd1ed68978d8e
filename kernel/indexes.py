"""Index builds for migrations that must not block writes on large tables."""

from __future__ import annotations


def create_index_concurrently(schema_editor, name: str, table: str, definition: str) -> None:
    """``CREATE INDEX CONCURRENTLY`` on PostgreSQL (call it from a migration with
    ``atomic = False``). A build that failed or was cancelled leaves an INVALID
    index that ``IF NOT EXISTS`` would keep: it is dropped and built again.
    ``definition`` follows the table name (``USING …``, columns, ``WHERE …``)."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid "
            "WHERE c.relname = %s AND NOT i.indisvalid",
            [name],
        )
        if cursor.fetchone():
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} {definition}")
