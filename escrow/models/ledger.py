"""The ledger: the chart of accounts and balanced, append-only transactions of
signed entries."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.money import format_money

#: The help text of every amount field: money is integer minor units everywhere.
MINOR_UNITS = _("Integer amount in minor units of the currency (e.g. cents).")


class Account(models.TextChoices):
    """The chart of accounts. Entries are signed: debit > 0, credit < 0.

    - ``provider_cash``: money sitting at the payment provider (platform balance). Asset.
    - ``processing_fees``: what the provider keeps for processing (also on refunds). Expense.
    - ``escrow_held``: buyers' money held for open deals. Liability (credit balance).
    - ``seller_payable``: released money owed to sellers, not yet paid out. Liability.
    - ``fee_revenue``: the platform fee earned on released deals. Revenue.
    - ``chargebacks``: money the provider took out of our balance for an open
      chargeback (card dispute); it comes back if we win, goes to the buyer if we
      lose. Asset (receivable).
    """

    PROVIDER_CASH = "provider_cash", _("Cash at the payment provider")
    PROCESSING_FEES = "processing_fees", _("Payment-processing fees")
    ESCROW_HELD = "escrow_held", _("Buyer funds held in escrow")
    SELLER_PAYABLE = "seller_payable", _("Payable to sellers")
    FEE_REVENUE = "fee_revenue", _("Platform fee revenue")
    CHARGEBACKS = "chargebacks", _("Chargebacks pending at the card network")


class LedgerTransaction(models.Model):
    """One balanced money movement; its entries sum to zero (enforced on PostgreSQL
    by a deferrable constraint trigger, checked in Python before insert).

    ``reference`` names the business event (``payment:12``, ``refund:3``,
    ``release:deal:7``, ``payout:5``) and is unique: an event is posted at most once.
    """

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment received")
        REFUND = "refund", _("Refund")
        RELEASE = "release", _("Release to seller")
        PAYOUT = "payout", _("Payout to seller")
        SPLIT = "split", _("Split by a moderator")
        CHARGEBACK = "chargeback", _("Chargeback")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    reference = models.CharField(max_length=80, unique=True)
    deal = models.ForeignKey(
        "escrow.Deal", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    memo = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")

    def __str__(self) -> str:
        return self.reference


class LedgerEntry(models.Model):
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.CharField(max_length=24, choices=Account.choices)
    deal = models.ForeignKey(
        "escrow.Deal", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.BigIntegerField(
        help_text=_("Signed integer in minor units: debit positive, credit negative.")
    )
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledgerentry_amount_nonzero"),
        ]
        indexes = [models.Index(fields=["deal", "account"])]

    def __str__(self) -> str:
        # What the admin's inline shows for the row: the account's name and money.
        return f"{self.get_account_display()} {format_money(self.amount, self.currency)}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ledger entries are append-only.")
