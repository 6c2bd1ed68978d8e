"""How the moderators' admin shows values: each kind of value has one helper, so
every column and read-only field of that kind reads the same, in the reader's
language (the rows keep their codes and minor units).

- Money: ``ReadableValuesMixin`` shows every amount field (an integer field whose help
  text says "minor units") as money with its currency, in lists and change pages.
- Yes/no: ``yes_no`` for booleans computed or stored in JSON.
- Dates: ``when`` for a date or a moment, as the admin writes dates.
- Records: ``ReadOnlyAdmin`` for rows moderators read and nobody edits here.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.db import models
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.translation import gettext

from kernel.money import format_money


def is_money_field(field) -> bool:
    """An amount in minor units: the project names the unit in every such field's
    help text (read in English, the message id)."""
    if not isinstance(field, models.IntegerField) or not field.help_text:
        return False
    with translation.override(None):
        return "minor units" in str(field.help_text)


def _currency_of(obj) -> str | None:
    for path in ("currency", "deal.currency"):
        value = obj
        for part in path.split("."):
            value = getattr(value, part, None)
        if isinstance(value, str) and value:
            return value
    return None


def _label(field):
    # Read when shown: the field labels become translatable after the admin loads.
    return lazy(lambda: str(field.verbose_name), str)()


def _money_display(field):
    @admin.display(description=_label(field), ordering=field.name)
    def show(obj):
        amount = getattr(obj, field.name)
        if amount is None:
            return "—"
        return format_money(int(amount), _currency_of(obj))

    show.__name__ = f"{field.name}_money"
    return show


def _formatted_display(field, formatter):
    @admin.display(description=_label(field), ordering=field.name)
    def show(obj):
        return formatter(getattr(obj, field.name)) or "—"

    show.__name__ = f"{field.name}_shown"
    return show


class ReadableValuesMixin:
    """Amount fields as money ("9,800.00 美元", not 980000) wherever the admin would
    show the integer: list columns, read-only fields, the fields of a view-only
    page. The currency is the row's ``currency`` or its deal's (add ``deal`` to
    ``list_select_related``).

    ``system_text_fields`` names text fields the system writes in English (reasons,
    memos): they are shown through ``kernel.system_text`` the same way; ``shown_as``
    maps other fields to their own formatter (a list of codes → their names)."""

    system_text_fields: tuple[str, ...] = ()
    #: Other fields shown through a formatter: {field name: value → text}.
    shown_as: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_money_fields()
        from kernel.system_text import system_text

        formatters = {name: system_text for name in self.system_text_fields}
        formatters.update(self.shown_as)
        names = {f.name for f in self.model._meta.concrete_fields}
        for name, formatter in formatters.items():
            if name not in names:
                continue  # a base class's formatter for a field this model lacks
            field = self.model._meta.get_field(name)
            self.money_fields[name] = f"{name}_shown"
            setattr(self, f"{name}_shown", _formatted_display(field, formatter))

    def _init_money_fields(self):
        names = {f.name for f in self.model._meta.concrete_fields}
        # Only where the row says its currency (its own or its deal's): a guess
        # would show the right number in the wrong currency.
        known = "currency" in names or "deal" in names
        self.money_fields = {
            f.name: f"{f.name}_money"
            for f in self.model._meta.concrete_fields
            if known and is_money_field(f)
        }
        for f in self.model._meta.concrete_fields:
            if f.name in self.money_fields:
                setattr(self, self.money_fields[f.name], _money_display(f))

    def _shown(self, names):
        out = []
        for name in names:
            shown = self.money_fields.get(name, name) if isinstance(name, str) else name
            if shown not in out:
                out.append(shown)
        return out

    def get_list_display(self, request):
        return self._shown(super().get_list_display(request))

    def get_readonly_fields(self, request, obj=None):
        return self._readonly(super().get_readonly_fields(request, obj))

    def _readonly(self, names):
        """``names`` with each shown field's display added, and the field itself kept
        read-only (never editable here; the display stands in for it)."""
        shown = self._shown(names)
        return shown + [n for pair in self.money_fields.items() for n in pair if n not in shown]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return [
            (name, {**options, "fields": self._shown_nested(options.get("fields", ()))})
            for name, options in fieldsets
        ]

    def _shown_nested(self, fields):
        # A fieldset's line may hold several fields (a tuple): map each.
        return [
            tuple(self._shown(f)) if isinstance(f, (list, tuple)) else self._shown([f])[0]
            for f in fields
        ]

    def get_fields(self, request, obj=None):
        shown = self._shown(super().get_fields(request, obj))
        if self.fields is not None:
            return shown
        # Read-only fields come last in Django's default; a shown field keeps its
        # model field's place instead (price, fee, total where the model has them).
        order = {
            self.money_fields.get(f.name, f.name): i
            for i, f in enumerate(self.model._meta.concrete_fields)
        }
        return sorted(shown, key=lambda name: order.get(name, len(order)))


class ReadOnlyAdmin(ReadableValuesMixin, admin.ModelAdmin):
    """Records moderators may read but nobody adds, edits or deletes from the admin
    (a change goes through its app's service, if at all)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def yes_no(value) -> str:
    if value is None:
        return "—"
    return gettext("Yes") if value else gettext("No")


def when(value) -> str:
    """A date, a moment or an ISO 8601 string as the admin writes dates."""
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            try:
                parsed = dt.date.fromisoformat(value)
            except ValueError:
                return value
        value = parsed
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return date_format(value, "DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return date_format(value, "DATE_FORMAT")
    return "—" if value is None else str(value)
