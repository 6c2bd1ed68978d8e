"""Deal notifications, in-app and as the e-mail outbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .deals import Deal


class Notification(models.Model):
    """An in-app notification about a deal; the text is rendered from ``kind`` in
    the reader's language.

    It is also the e-mail outbox (``escrow.notifications.send_due_emails``): a row
    that ``notify`` writes is ``PENDING`` (others are in-app only), in the deal
    step's own transaction, so its e-mail can
    neither go out for a step that rolled back nor be lost between the commit and
    a task message; a job sweeps the due rows every few seconds."""

    class EmailState(models.TextChoices):
        # The outbox's own words (kernel.outbox.EmailState), in the "e-mail" context.
        PENDING = "pending", pgettext_lazy("e-mail", "Pending")
        SENT = "sent", pgettext_lazy("e-mail", "Sent")
        FAILED = "failed", pgettext_lazy("e-mail", "Given up")
        SKIPPED = "skipped", pgettext_lazy("e-mail", "Not e-mailed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deal_notifications"
    )
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    #: The database default ("sent") is for rows that code from before the outbox
    #: writes while a deploy runs (it also queues their e-mail as a task message,
    #: which ``escrow.send_notification_emails`` turns back into outbox rows).
    email_state = models.CharField(
        max_length=8,
        choices=EmailState.choices,
        default=EmailState.SKIPPED,
        db_default=EmailState.SENT,
    )
    #: When the sweep may (next) take it: the step's time, a retry's backoff, or the
    #: end of a claim (a worker that died while sending is taken over then).
    email_due_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    email_receipt = models.BooleanField(default=False, db_default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(
                fields=["email_due_at", "id"],
                name="notification_email_due",
                condition=models.Q(email_state="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"
