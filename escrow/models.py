"""Escrow data: the ledger, provider records, webhooks (and, below, deals).

Money is always an integer number of minor units of the deal's currency (cents for
USD); the unit is named in each field's help text. Ledger rows are append-only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kernel.crypto import EncryptedTextField

MINOR_UNITS = _("Integer amount in minor units of the currency (e.g. cents).")

# --------------------------------------------------------------------------- ledger


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
        return f"{self.account} {self.amount} {self.currency}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ledger entries are append-only.")


# ------------------------------------------------------------------------ webhooks


class WebhookEvent(models.Model):
    """Every provider event we accepted, once: the unique event id de-duplicates.

    An event is applied only with the provider's own answer (``escrow.webhooks``):
    while the provider cannot be reached it stays PENDING and a job retries it;
    one that contradicts the deal (amount, currency) is REFUSED and shown to
    operators."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the provider")
        APPLIED = "applied", _("Applied")
        IGNORED = "ignored", _("Ignored (not ours, or nothing to do)")
        REFUSED = "refused", _("Refused — needs an operator")

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=80)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPLIED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    note = models.CharField(
        max_length=300, blank=True, help_text="Why it waits or was refused (the last answer)."
    )

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_unique")
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id} {self.type}"


class Deal(models.Model):
    """One purchase of one listing, with the buyer's money held in escrow.

    States change only through ``escrow.services.transition_deal`` which checks
    ``TRANSITIONS`` and writes a ``DealEvent`` in the same transaction. ``due_at`` is
    the deadline of the current step (scanned by the jobs); None when nothing is due.
    """

    class State(models.TextChoices):
        PENDING_PAYMENT = "PENDING_PAYMENT", _("Awaiting payment")
        FUNDED = "FUNDED", _("Paid — awaiting handover")
        DELIVERED = "DELIVERED", _("Handed over — inspection")
        ACCEPTED = "ACCEPTED", _("Accepted — protection window")
        RELEASED = "RELEASED", _("Released to the seller")
        CANCELLED = "CANCELLED", _("Cancelled")
        REFUNDED = "REFUNDED", _("Refunded")
        DISPUTED = "DISPUTED", _("Disputed")
        FROZEN = "FROZEN", _("Frozen")
        SPLIT = "SPLIT", _("Split by a moderator")

    S = State
    #: The one transition table.
    TRANSITIONS: dict[str, frozenset[str]] = {
        S.PENDING_PAYMENT: frozenset({S.FUNDED, S.CANCELLED}),
        S.FUNDED: frozenset({S.DELIVERED, S.REFUNDED, S.DISPUTED, S.FROZEN}),
        # DELIVERED/ACCEPTED → REFUNDED: a watched deal (listing removed, seller
        # banned or frozen) refunded at the buyer's or a moderator's request.
        S.DELIVERED: frozenset({S.ACCEPTED, S.DISPUTED, S.FROZEN, S.REFUNDED}),
        S.ACCEPTED: frozenset({S.RELEASED, S.DISPUTED, S.FROZEN, S.REFUNDED}),
        S.DISPUTED: frozenset({S.RELEASED, S.REFUNDED, S.SPLIT, S.FROZEN}),
        S.FROZEN: frozenset({S.DISPUTED, S.RELEASED, S.REFUNDED, S.SPLIT}),
        S.RELEASED: frozenset(),
        S.CANCELLED: frozenset(),
        S.REFUNDED: frozenset(),
        S.SPLIT: frozenset(),
    }
    #: The buyer's money is held in escrow in these states.
    FUNDED_STATES = frozenset({S.FUNDED, S.DELIVERED, S.ACCEPTED, S.DISPUTED, S.FROZEN})
    #: A listing can have one deal in these states at a time.
    ACTIVE_STATES = frozenset({S.PENDING_PAYMENT, *FUNDED_STATES})
    FINAL_STATES = frozenset({S.RELEASED, S.CANCELLED, S.REFUNDED, S.SPLIT})
    del S

    listing = models.ForeignKey(
        "listings.Listing",
        on_delete=models.PROTECT,
        related_name="deals",
        verbose_name=_("listing"),
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="purchases"
    )
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sales"
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PENDING_PAYMENT
    )
    price = models.BigIntegerField(_("price"), help_text=MINOR_UNITS)
    platform_fee = models.BigIntegerField(_("platform fee"), help_text=MINOR_UNITS)
    total = models.BigIntegerField(_("total"), help_text=MINOR_UNITS)
    currency = models.CharField(max_length=3)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reminded_for = models.DateTimeField(
        null=True, blank=True, help_text="The due_at a reminder was last sent for."
    )
    funded_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    inspection_extended = models.BooleanField(default=False)
    policy_acknowledged_at = models.DateTimeField(null=True, blank=True)
    policy_note = models.TextField(
        blank=True, help_text="The transfer-policy note the buyer acknowledged, as shown."
    )
    credentials_first_viewed_at = models.DateTimeField(null=True, blank=True)
    payment_attempt_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set under the deal lock before the card is sent to the provider and "
        "cleared when the answer is recorded: a cancel is refused while it is recent.",
    )
    watched_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Under moderator watch since (listing removed, seller banned or frozen): "
        "the buyer may ask for a refund and the payout is held until the watch ends.",
    )
    watch_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="deal_price_positive"),
            models.CheckConstraint(condition=Q(platform_fee__gte=0), name="deal_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(total=models.F("price") + models.F("platform_fee")),
                name="deal_total_is_price_plus_fee",
            ),
            models.CheckConstraint(
                condition=~Q(buyer=models.F("seller")), name="deal_buyer_is_not_seller"
            ),
            models.UniqueConstraint(
                fields=["listing"],
                condition=Q(
                    state__in=[
                        "PENDING_PAYMENT",
                        "FUNDED",
                        "DELIVERED",
                        "ACCEPTED",
                        "DISPUTED",
                        "FROZEN",
                    ]
                ),
                name="deal_one_active_per_listing",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"]),
            models.Index(fields=["buyer", "state"]),
        ]

    def __str__(self) -> str:
        return gettext("deal #%(number)s") % {"number": self.pk}

    @property
    def is_funded(self) -> bool:
        return self.state in self.FUNDED_STATES

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES


class DealEvent(models.Model):
    """One step of a deal (who, when, from, to, why); both parties see them as the
    timeline. Same-state events record steps that move no state (an extension)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("deal event")
        verbose_name_plural = _("deal events")

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_state or '∅'} → {self.to_state} ({self.kind})"


class Payment(models.Model):
    """The buyer's payment for a deal (one provider payment intent per deal)."""

    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        REQUIRES_ACTION = "requires_action", _("Waiting for authentication")
        FAILED = "failed", _("Declined")
        SUCCEEDED = "succeeded", _("Paid")
        CANCELED = "canceled", _("Cancelled")

    deal = models.OneToOneField(Deal, on_delete=models.PROTECT, related_name="payment")
    provider = models.CharField(max_length=20)
    idempotency_key = models.CharField(max_length=80)
    provider_ref = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CREATED)
    amount = models.BigIntegerField(help_text=MINOR_UNITS)
    currency = models.CharField(max_length=3)
    processing_fee = models.BigIntegerField(default=0, help_text=MINOR_UNITS)
    error_code = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "idempotency_key"], name="payment_idempotency_unique"
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_ref"],
                condition=~Q(provider_ref=""),
                name="payment_provider_ref_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return gettext("payment %(number)s (%(status)s)") % {
            "number": self.pk,
            "status": self.get_status_display(),
        }


class Refund(models.Model):
    """Money going back to the buyer. Marked REQUESTED before the provider call; a
    retry first looks the refund up at the provider (metadata ``refund_id``)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed — will retry")
        NEEDS_ATTENTION = "needs_attention", _("Needs an operator")

    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    provider = models.CharField(max_length=20)
    idempotency_key = models.CharField(max_length=80)
    provider_ref = models.CharField(max_length=255, blank=True)
    amount = models.BigIntegerField(help_text=MINOR_UNITS)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    reason = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    in_flight_since = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "idempotency_key"], name="refund_idempotency_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return gettext("refund %(number)s (%(status)s)") % {
            "number": self.pk,
            "status": self.get_status_display(),
        }


class SellerPayoutAccount(models.Model):
    """Where a seller is paid: a provider account (Stripe Connect Express) where
    the seller's country is supported, otherwise the manual rail (bank details an
    operator pays by hand)."""

    class Rail(models.TextChoices):
        PROVIDER = "provider", _("Payment provider (Connect)")
        MANUAL = "manual", _("Manual bank transfer")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payout_account"
    )
    rail = models.CharField(max_length=10, choices=Rail.choices, default=Rail.PROVIDER)
    country = models.CharField(_("country"), max_length=2)
    provider = models.CharField(max_length=20, blank=True)
    account_ref = models.CharField(max_length=255, blank=True)
    payouts_enabled = models.BooleanField(default=False)
    bank_details = EncryptedTextField(_("bank details"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("seller payout account")
        verbose_name_plural = _("seller payout accounts")

    def __str__(self) -> str:
        return f"payout account of {self.user_id} ({self.rail})"

    @property
    def can_receive(self) -> bool:
        if self.rail == self.Rail.MANUAL:
            return bool(self.bank_details)
        return bool(self.account_ref and self.payouts_enabled)


class Payout(models.Model):
    """The transfer paying the seller for a released deal: its own record, retries,
    idempotency key and status. Marked REQUESTED before the provider call."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Scheduled")
        ON_HOLD = "on_hold", _("Waiting for the seller's payout details")
        REQUESTED = "requested", _("Sending")
        FAILED = "failed", _("Failed — will retry")
        MANUAL = "manual", _("Waiting for a manual bank transfer")
        NEEDS_ATTENTION = "needs_attention", _("Needs an operator")
        HELD = "held", _("Held (moderator watch or account measure)")
        PAID = "paid", _("Paid")

    deal = models.OneToOneField(Deal, on_delete=models.PROTECT, related_name="payout")
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts"
    )
    amount = models.BigIntegerField(help_text=MINOR_UNITS)
    currency = models.CharField(max_length=3)
    rail = models.CharField(max_length=10, choices=SellerPayoutAccount.Rail.choices, blank=True)
    provider = models.CharField(max_length=20)
    idempotency_key = models.CharField(max_length=80)
    provider_ref = models.CharField(max_length=255, blank=True)
    manual_reference = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    in_flight_since = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "idempotency_key"], name="payout_idempotency_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
        ]
        permissions = [
            ("record_manual_payout", "Can record a manual payout"),
            ("decide_dispute", "Can decide disputes, recovery claims and chargebacks"),
            ("watch_deal", "Can refund or end the watch of a watched deal"),
        ]

    def __str__(self) -> str:
        return gettext("payout %(number)s (%(status)s)") % {
            "number": self.pk,
            "status": self.get_status_display(),
        }


class Handover(models.Model):
    """What the seller hands over. Everything secret is encrypted at rest."""

    deal = models.OneToOneField(Deal, on_delete=models.PROTECT, related_name="handover")
    login = EncryptedTextField(_("login (user name, e-mail or phone)"))
    password = EncryptedTextField(_("password"))
    recovery = EncryptedTextField(_("recovery e-mail / phone and backup codes"), blank=True)
    notes = EncryptedTextField(_("notes for the buyer"), blank=True)
    checklist = EncryptedTextField(help_text="JSON list of the checklist items confirmed.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")

    def __str__(self) -> str:
        return gettext("handover of deal %(deal)s") % {"deal": self.deal_id}


class CredentialView(models.Model):
    """Each time the buyer opened the credentials (append-only log)."""

    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="credential_views")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    viewed_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-viewed_at"]
        verbose_name = _("credential view")
        verbose_name_plural = _("credential views")

    def __str__(self) -> str:
        return f"deal {self.deal_id} viewed by {self.user_id}"


class Notification(models.Model):
    """An in-app notification about a deal; the text is rendered from ``kind`` in
    the reader's language.

    It is also the e-mail outbox (``escrow.notifications.send_due_emails``): a row
    that ``notify`` writes is ``PENDING`` (others are in-app only), in the deal
    step's own transaction, so its e-mail can
    neither go out for a step that rolled back nor be lost between the commit and
    a task message; a job sweeps the due rows every few seconds."""

    class EmailState(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Given up")
        SKIPPED = "skipped", _("Not e-mailed")

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


from .models_protection import (  # noqa: E402 - the protection models live beside
    Chargeback,
    DealMessage,
    Dispute,
    DisputeEvidence,
    ReconciliationDifference,
    ReconciliationRun,
    Review,
)
from .models_simulated import (  # noqa: E402
    SimConnectedAccount,
    SimDispute,
    SimEvent,
    SimIdempotencyKey,
    SimPaymentIntent,
    SimRefund,
    SimTransfer,
)

__all__ = [
    "Account",
    "Chargeback",
    "CredentialView",
    "Deal",
    "DealEvent",
    "DealMessage",
    "Dispute",
    "DisputeEvidence",
    "Handover",
    "LedgerEntry",
    "LedgerTransaction",
    "Notification",
    "Payment",
    "Payout",
    "ReconciliationDifference",
    "ReconciliationRun",
    "Refund",
    "Review",
    "SellerPayoutAccount",
    "SimConnectedAccount",
    "SimDispute",
    "SimEvent",
    "SimIdempotencyKey",
    "SimPaymentIntent",
    "SimRefund",
    "SimTransfer",
    "WebhookEvent",
]
