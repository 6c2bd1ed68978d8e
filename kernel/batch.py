"""Writes gathered inside a transaction and sent to the database in one round trip.

A checkout writes six rows (the listing's new state and its event, the deal, its
event, its payment, two notifications); through ``Model.save()`` that is six round
trips to PostgreSQL and six passes through the ORM's save machinery, which together
cost more than PostgreSQL's work on them. A ``WriteBatch`` compiles each write with
Django's own SQL compiler (the same SQL ``save()`` and ``bulk_create()`` send) and,
on PostgreSQL, sends them as one multi-statement query when the batch is flushed.

    with transaction.atomic():
        ...locks...
        with WriteBatch() as batch:
            batch.update(listing, ["state", "updated_at"])
            batch.insert(ListingEvent(listing=listing, ...))
            batch.insert(Deal(pk=deal_id, ...))

Rules (docs/performance.md, item 27):

- Only inside ``transaction.atomic``: a failing statement raises from ``flush()``
  and the whole transaction rolls back; the statements before it are not kept.
- ``update`` is for a row the caller holds locked (``select_for_update``): a
  deferred UPDATE cannot report that it matched no row, which ``save()`` would.
- An object inserted without a primary key does not learn it (``pk`` stays None):
  give the key in advance when anything refers to the row (``next_pk_sql``
  allocates one in a statement the caller sends anyway). A field left to its
  database default (``db_default``) is read from the database on first access.
- ``pre_save`` is sent when a write is added, ``post_save`` after the flush, with
  the arguments ``save()`` gives them, so receivers (the fragment cache's
  invalidation among them) see every write. A model's own ``save()`` is *not*
  called: batch only models whose ``save()`` adds nothing to an insert or to an
  update with named fields (``Listing.save`` only fills in ``update_fields``).
- Elsewhere than on PostgreSQL (SQLite for ``make run``) each write is made at
  once through ``save()`` / ``bulk_create()``, so the code that uses a batch reads
  the same and behaves the same.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import signals, sql
from django.db.models.expressions import DatabaseDefault


def deferred_writes(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether a batch on ``using`` defers its writes to one round trip."""
    return connections[using].vendor == "postgresql"


def next_pk_sql(model, using: str = DEFAULT_DB_ALIAS) -> str | None:
    """An SQL expression that draws the next primary key of ``model``'s table from
    its sequence (PostgreSQL; None elsewhere), for a caller to select in a statement
    it sends anyway, then give to the object it inserts through a batch. A key drawn
    and not used leaves a gap, as a rolled-back insert does."""
    if not deferred_writes(using):
        return None
    connection = connections[using]
    table = connection.ops.quote_name(model._meta.db_table)
    column = model._meta.pk.column
    # Both names come from the model's metadata, never from input.
    return f"nextval(pg_get_serial_sequence('{table}', '{column}'))"


#: Statements built once per model and columns (and row count): ``_plain_insert``.
_STATEMENTS: dict[tuple, str] = {}


class WriteBatch:
    def __init__(self, using: str = DEFAULT_DB_ALIAS):
        self.using = using
        self.deferred = deferred_writes(using)
        self._statements: list[tuple[str, tuple]] = []
        self._saved: list[tuple[object, bool, frozenset | None]] = []

    def __enter__(self) -> WriteBatch:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.flush()
        else:  # the transaction rolls back: nothing is sent
            self._statements.clear()
            self._saved.clear()

    # ------------------------------------------------------------------ writes

    def insert(self, obj):
        """INSERT ``obj`` (one row). Returns ``obj``."""
        self.insert_many([obj])
        return obj

    def insert_many(self, objs) -> list:
        """INSERT rows of one model (one statement). Returns the objects."""
        objs = list(objs)
        if not objs:
            return objs
        model = type(objs[0])
        if any(type(obj) is not model for obj in objs):
            raise TypeError("insert_many() takes objects of one model")
        if not self.deferred:
            if len(objs) == 1:
                objs[0].save(force_insert=True, using=self.using)
            else:
                model._base_manager.using(self.using).bulk_create(objs)
            return objs
        meta = model._meta
        with_pk = all(obj.pk is not None for obj in objs)
        if not with_pk and any(obj.pk is not None for obj in objs):
            raise ValueError("insert_many(): give every object a primary key, or none")
        for obj in objs:
            # save()'s own check: a related object assigned before it was saved.
            obj._prepare_related_fields_for_save(operation_name="insert")
            signals.pre_save.send(
                sender=model, instance=obj, raw=False, using=self.using, update_fields=None
            )
        fields = [
            f
            for f in meta.local_concrete_fields
            if not f.generated and (with_pk or f is not meta.auto_field)
        ]
        statement = self._plain_insert(model, fields, objs)
        if statement is not None:
            self._statements.append(statement)
        else:
            query = sql.InsertQuery(model)
            query.insert_values(fields, objs, raw=False)
            self._statements.extend(query.get_compiler(using=self.using).as_sql())
        self._saved.extend((obj, True, None) for obj in objs)
        return objs

    def _plain_insert(self, model, fields, objs) -> tuple[str, list] | None:
        """The INSERT Django's compiler would build, for rows of plain values, from a
        statement kept per model, columns and row count (compiling it again for each
        checkout cost more than PostgreSQL's work on it). None when the compiler must
        build it: a value is an expression (a database default among them) or a
        field has a placeholder of its own."""
        connection = connections[self.using]
        if any(hasattr(field, "get_placeholder") for field in fields):
            return None
        params = []
        for obj in objs:
            for field in fields:
                value = field.pre_save(obj, True)  # as the compiler: auto_now_add, …
                if hasattr(value, "resolve_expression"):
                    return None
                params.append(field.get_db_prep_save(value, connection=connection))
        key = ("insert", model, self.using, tuple(field.column for field in fields), len(objs))
        text = _STATEMENTS.get(key)
        if text is None:
            q = connection.ops.quote_name
            row = "(" + ", ".join(["%s"] * len(fields)) + ")"
            columns = ", ".join(q(field.column) for field in fields)
            text = _STATEMENTS[key] = (
                f"INSERT INTO {q(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608  # nosec B608
                + ", ".join([row] * len(objs))
            )
        return text, params

    def update(self, obj, fields: list[str]):
        """UPDATE the named fields of ``obj``, a row the caller holds locked.
        ``auto_now`` fields named are set, as ``save(update_fields=…)`` does."""
        if not fields:
            raise ValueError("update() needs the fields to write")
        if not self.deferred:
            obj.save(update_fields=fields, using=self.using)
            return obj
        model = type(obj)
        update_fields = frozenset(fields)
        signals.pre_save.send(
            sender=model, instance=obj, raw=False, using=self.using, update_fields=update_fields
        )
        meta = model._meta
        values = [
            (field, None, field.pre_save(obj, False))
            for field in (meta.get_field(name) for name in fields)
        ]
        statement = self._plain_update(model, obj.pk, values)
        if statement is None:
            query = (
                model._base_manager.using(self.using).filter(pk=obj.pk).query.chain(sql.UpdateQuery)
            )
            query.add_update_fields(values)
            statement = query.get_compiler(using=self.using).as_sql()
        self._statements.append(statement)
        self._saved.append((obj, False, update_fields))
        return obj

    def _plain_update(self, model, pk, values) -> tuple[str, list] | None:
        """``_plain_insert`` for the UPDATE of one row by primary key."""
        connection = connections[self.using]
        params = []
        for field, _, value in values:
            if (
                hasattr(field, "get_placeholder")
                or hasattr(value, "resolve_expression")
                or hasattr(value, "prepare_database_save")
            ):
                return None
            params.append(field.get_db_prep_save(value, connection=connection))
        pk_field = model._meta.pk
        params.append(pk_field.get_db_prep_value(pk, connection))
        key = ("update", model, self.using, tuple(field.column for field, _, _ in values))
        text = _STATEMENTS.get(key)
        if text is None:
            q = connection.ops.quote_name
            assignments = ", ".join(f"{q(field.column)} = %s" for field, _, _ in values)
            text = _STATEMENTS[key] = (
                f"UPDATE {q(model._meta.db_table)} SET {assignments} "  # noqa: S608  # nosec B608
                f"WHERE {q(pk_field.column)} = %s"
            )
        return text, params

    # ------------------------------------------------------------------ flush

    def flush(self) -> None:
        """Send the writes gathered so far (one round trip), then ``post_save``."""
        if not self._statements:
            return
        statements, saved = self._statements, self._saved
        self._statements, self._saved = [], []
        connection = connections[self.using]
        text = ";\n".join(statement for statement, _ in statements)
        params = [param for _, statement_params in statements for param in statement_params]
        with connection.cursor() as cursor:
            cursor.execute(text, params)
        for obj, created, update_fields in saved:
            state = obj._state
            state.adding = False
            state.db = self.using
            if created:
                # A database default is not known here: read it on first access.
                for field in obj._meta.concrete_fields:
                    if isinstance(obj.__dict__.get(field.attname), DatabaseDefault):
                        del obj.__dict__[field.attname]
            signals.post_save.send(
                sender=type(obj),
                instance=obj,
                created=created,
                update_fields=update_fields,
                raw=False,
                using=self.using,
            )


def insert_select(
    model,
    *,
    source: str,
    params: list,
    columns: dict[str, str],
    values: dict | None = None,
    order_by: str = "",
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """``INSERT INTO <model> (…) SELECT … FROM <source>``: rows the database derives
    from other rows (a job's event for each deal of its batch), without an object
    and a value preparation per row in Python.

    ``source``: the FROM clause (with its ``%s`` for ``params``); ``columns``:
    attname → SQL expression over it, without parameters; ``values``: attname → a value, prepared by
    its field as ``save()`` prepares it; every other field takes its default (as an
    unsaved instance would; a database default is left to the database), so a
    field added later with a default needs no change here. The primary key is the
    table's. Like ``bulk_create``, it sends no signals and calls no ``save()``."""
    connection = connections[using]
    q = connection.ops.quote_name
    meta = model._meta
    values = values or {}
    names, selected, value_params = [], [], []
    for field in meta.local_concrete_fields:
        if field is meta.auto_field or field.generated:
            continue
        if field.attname in columns:
            names.append(q(field.column))
            selected.append(columns[field.attname])
            continue
        value = values[field.attname] if field.attname in values else field.get_default()
        if isinstance(value, DatabaseDefault):
            continue
        names.append(q(field.column))
        selected.append("%s")
        value_params.append(field.get_db_prep_save(value, connection=connection))
    unknown = set(columns) | set(values)
    unknown -= {f.attname for f in meta.local_concrete_fields}
    if unknown:
        raise ValueError(f"not fields of {meta.label}: {sorted(unknown)}")
    order = f" ORDER BY {order_by}" if order_by else ""
    sql = (
        f"INSERT INTO {q(meta.db_table)} ({', '.join(names)}) "  # noqa: S608  # nosec B608
        f"SELECT {', '.join(selected)} FROM {source}{order}"
    )
    # The SELECT list's parameters come before the FROM clause's.
    with connection.cursor() as cursor:
        cursor.execute(sql, [*value_params, *params])
