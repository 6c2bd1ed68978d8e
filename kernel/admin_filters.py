"""List filters shared by the moderators' admin queues."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AgeFilter(admin.SimpleListFilter):
    """Rows by how long ago ``field`` was: under a day, 1–3 days, over 3 days.
    Subclasses name the field and the title (``?age=1d|3d|old``)."""

    parameter_name = "age"
    field = "created_at"

    def lookups(self, request, model_admin):
        return [("1d", _("under a day")), ("3d", _("1–3 days")), ("old", _("over 3 days"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        one, three = now - timedelta(days=1), now - timedelta(days=3)
        bounds = {
            "1d": {f"{self.field}__gt": one},
            "3d": {f"{self.field}__lte": one, f"{self.field}__gt": three},
            "old": {f"{self.field}__lte": three},
        }.get(self.value())
        return queryset if bounds is None else queryset.filter(**bounds)
