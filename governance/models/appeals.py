"""Appeals against decisions, and the files attached to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kernel.private_files import private_storage

from .sanctions import Violation


class Appeal(models.Model):
    """The one appeal against one decision (violation)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a moderator")
        UPHELD = "upheld", _("Upheld — decision overruled")
        REJECTED = "rejected", _("Rejected")

    violation = models.OneToOneField(
        Violation, on_delete=models.PROTECT, related_name="appeal", verbose_name=_("decision")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appeals"
    )
    text = models.TextField(_("your appeal"))
    created_at = models.DateTimeField(_("filed"), default=timezone.now, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        permissions = [("decide_appeal", _("Can decide appeals"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending") | (Q(decided_at__isnull=False) & ~Q(reason="")),
                name="appeal_decided_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return gettext("appeal #%(number)s (%(rule)s)") % {
            "number": self.pk,
            "rule": self.violation.rule.code,
        }


class AppealFile(models.Model):
    """An attachment to an appeal, kept in private storage and served only through
    a permission-checked view."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(storage=private_storage, upload_to="appeals/%Y/%m/", max_length=200)
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField(help_text=_("Bytes."))
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("appeal file")
        verbose_name_plural = _("appeal files")

    def __str__(self) -> str:
        return self.original_name
