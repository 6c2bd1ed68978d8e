"""One row by primary key, without the ORM's query machinery.

``Model.objects.get(pk=…)`` builds a query, compiles it and sets up its iterator on
every call; on the signed-in user's lookup (every signed-in request) and the
checkout's listing lock, that cost more than PostgreSQL's answer. ``load_by_pk``
keeps the statement per model and column set, applies the converters Django's
compiler would (none for most fields on PostgreSQL; dates and booleans on SQLite),
and builds the instance with ``Model.from_db`` — the same object the ORM returns,
with the columns not read deferred (loaded on access).
"""

from __future__ import annotations

from django.db import connections, router

_SQL: dict[tuple, tuple[str, tuple]] = {}


def _statement(model, using: str, columns: tuple[str, ...] | None, for_update: bool):
    key = (model, using, columns, for_update)
    found = _SQL.get(key)
    if found is None:
        connection = connections[using]
        meta = model._meta
        fields = tuple(
            f for f in meta.concrete_fields if columns is None or f.attname in set(columns)
        )
        if columns is not None and len(fields) != len(columns):
            raise ValueError(f"not concrete fields of {meta.label}: {columns}")
        q = connection.ops.quote_name
        lock = " FOR UPDATE" if for_update and connection.features.has_select_for_update else ""
        sql = (
            f"SELECT {', '.join(q(f.column) for f in fields)} "  # noqa: S608  # nosec B608
            f"FROM {q(meta.db_table)} WHERE {q(meta.pk.column)} = %s{lock}"
        )
        converters = []
        for index, field in enumerate(fields):
            col = field.get_col(meta.db_table)
            found_converters = connection.ops.get_db_converters(col) + field.get_db_converters(
                connection
            )
            if found_converters:
                converters.append((index, col, found_converters))
        found = _SQL[key] = (sql, tuple(f.attname for f in fields), tuple(converters))
    return found


def load_by_pk(
    model,
    pk,
    *,
    columns: tuple[str, ...] | None = None,
    for_update: bool = False,
    using: str | None = None,
):
    """The ``model`` row with primary key ``pk`` (None if there is none), as
    ``model.objects.get(pk=pk)`` would return it; ``columns``: attnames to read (the
    others deferred); ``for_update``: lock the row (the caller's transaction)."""
    using = using or router.db_for_read(model)
    connection = connections[using]
    sql, attnames, converters = _statement(model, using, columns, for_update)
    pk_field = model._meta.pk
    value = pk_field.get_db_prep_value(pk_field.get_prep_value(pk), connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [value])
        row = cursor.fetchone()
    if row is None:
        return None
    if converters:
        row = list(row)
        for index, col, functions in converters:
            for function in functions:
                row[index] = function(row[index], col, connection)
    return model.from_db(using, attnames, row)
