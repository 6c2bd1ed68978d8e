"""Escrow protection: deal chat, disputes and recovery claims, chargebacks and
reviews.

Messages, statements and evidence are kept as evidence: nothing here is deleted,
and a message a moderator removes is only hidden (``removed_at``). Amounts are
integers in minor units of the deal's currency.
"""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kernel.private_files import private_storage

from .ledger import MINOR_UNITS


class PartyRole(models.TextChoices):
    """Who wrote a message, opened a dispute or filed evidence (the rows keep the
    code; the admin shows the label)."""

    BUYER = "buyer", _("buyer")
    SELLER = "seller", _("seller")
    MODERATOR = "moderator", _("moderator")
    PROVIDER = "provider", _("payment provider")


def _message_upload_to(instance, filename: str) -> str:
    # Names come from clean_document (uuid); the folder groups a deal's files.
    return f"deals/{instance.deal_id}/messages/{filename}"


def _evidence_upload_to(instance, filename: str) -> str:
    return f"deals/{instance.dispute.deal_id}/evidence/{filename}"


class DealMessage(models.Model):
    """One chat message between the parties of a deal (or a moderator once a
    dispute is open). ``body`` is what the author wrote (evidence for moderators);
    ``body_masked`` has off-platform contact details hidden and is what the other
    party sees."""

    deal = models.ForeignKey("escrow.Deal", on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deal_messages"
    )
    author_role = models.CharField(_("author's role"), max_length=10, choices=PartyRole.choices)
    body = models.TextField(_("message"))
    body_masked = models.TextField(blank=True)
    attachment = models.FileField(
        storage=private_storage, upload_to=_message_upload_to, blank=True, max_length=200
    )
    attachment_name = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("deal message")
        verbose_name_plural = _("deal messages")
        indexes = [models.Index(fields=["deal", "id"])]

    def __str__(self) -> str:
        return gettext("message %(message)s on deal %(deal)s") % {
            "message": self.pk,
            "deal": self.deal_id,
        }

    @cached_property
    def masked_body(self) -> str:
        """The body as the other party sees it, masked by the current detectors
        (``body_masked`` is the snapshot taken when it was posted: a detector fix
        also covers messages posted before it)."""
        if self.author_role == "moderator":
            return self.body
        from governance.detectors import mask_contact_details

        return mask_contact_details(self.body)

    @property
    def was_masked(self) -> bool:
        return self.masked_body != self.body

    def text_for(self, user) -> str:
        """What ``user`` sees: the author their own words, everyone else the
        masked text."""
        if user is not None and user.pk == self.author_id:
            return self.body
        return self.masked_body


class Dispute(models.Model):
    """A case a moderator decides: a dispute (buyer or seller, funded or delivered
    deal), a recovery claim (buyer, protection window) or a chargeback (the card
    network, opened by the provider's event). One open case per deal."""

    class Kind(models.TextChoices):
        DISPUTE = "dispute", _("Dispute")
        RECOVERY = "recovery", _("Recovery claim")
        CHARGEBACK = "chargeback", _("Chargeback")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("case status", "Open")
        DECIDED = "decided", pgettext_lazy("case status", "Decided")

    class Outcome(models.TextChoices):
        RELEASE = "release", _("Released to the seller")
        REFUND = "refund", _("Refunded to the buyer")
        SPLIT = "split", _("Split between buyer and seller")

    deal = models.ForeignKey("escrow.Deal", on_delete=models.PROTECT, related_name="disputes")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("None for a chargeback (opened by the provider's event)."),
    )
    opener_role = models.CharField(_("opened by"), max_length=10, choices=PartyRole.choices)
    from_state = models.CharField(max_length=20)
    statement = models.TextField(_("statement"), blank=True)
    response = models.TextField(_("answer"), blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    response_due_at = models.DateTimeField(null=True, blank=True)
    response_overdue_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the job recorded that no answer came in time.")
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    buyer_amount = models.BigIntegerField(null=True, blank=True, help_text=MINOR_UNITS)
    seller_amount = models.BigIntegerField(null=True, blank=True, help_text=MINOR_UNITS)
    decision_reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        constraints = [
            models.UniqueConstraint(
                fields=["deal"], condition=Q(status="open"), name="dispute_one_open_per_deal"
            ),
            models.CheckConstraint(
                condition=Q(buyer_amount__isnull=True) | Q(buyer_amount__gte=0),
                name="dispute_buyer_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(seller_amount__isnull=True) | Q(seller_amount__gte=0),
                name="dispute_seller_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | (~Q(outcome="") & Q(decided_at__isnull=False)),
                name="dispute_decided_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(kind)s #%(number)s (deal %(deal)s)") % {
            "kind": self.get_kind_display(),
            "number": self.pk,
            "deal": self.deal_id,
        }

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class DisputeEvidence(models.Model):
    """A file a party added to a case (statement or answer), in private storage."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="evidence")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("role"), max_length=10, choices=PartyRole.choices)
    file = models.FileField(storage=private_storage, upload_to=_evidence_upload_to, max_length=200)
    original_name = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.original_name or self.file.name


class Chargeback(models.Model):
    """A card dispute at the provider (``charge.dispute.*``). While it is open the
    provider has taken ``amount`` (plus its ``fee``) out of our balance."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open at the card network")
        WON = "won", _("Won (money returned)")
        LOST = "lost", _("Lost (money kept by the buyer's bank)")

    deal = models.ForeignKey("escrow.Deal", on_delete=models.PROTECT, related_name="chargebacks")
    provider = models.CharField(max_length=20)
    provider_ref = models.CharField(max_length=255)
    amount = models.BigIntegerField(help_text=MINOR_UNITS)
    fee = models.BigIntegerField(default=0, help_text=MINOR_UNITS)
    reason = models.CharField(max_length=80, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("chargeback")
        verbose_name_plural = _("chargebacks")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_ref"], name="chargeback_provider_ref_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="chargeback_amount_positive"),
        ]

    def __str__(self) -> str:
        return gettext("chargeback %(reference)s (%(status)s)") % {
            "reference": self.provider_ref,
            "status": self.get_status_display(),
        }


class Review(models.Model):
    """The buyer's rating of the seller after release (once), and the seller's
    reply (once)."""

    deal = models.OneToOneField("escrow.Deal", on_delete=models.PROTECT, related_name="review")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_received"
    )
    rating = models.PositiveSmallIntegerField(_("rating"))
    text = models.TextField(_("review"), blank=True)
    reply = models.TextField(_("reply"), blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Governance removed the text (a confirmed report); it stays as evidence, the
    # stars stay shown.
    text_removed_at = models.DateTimeField(null=True, blank=True)
    text_removed_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="review_rating_1_to_5"
            )
        ]

    def __str__(self) -> str:
        # Public (the report page names its subject): no deal id.
        return gettext("%(stars)s★ review of %(seller)s, %(date)s") % {
            "stars": self.rating,
            "seller": self.seller.public_name,
            "date": date_format(timezone.localtime(self.created_at).date(), "DATE_FORMAT"),
        }
