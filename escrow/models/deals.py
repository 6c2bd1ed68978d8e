"""Deals: one purchase held in escrow, its state machine and timeline, the
handover of the credentials and each time the buyer opened them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kernel.crypto import EncryptedTextField

from .ledger import MINOR_UNITS


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
        null=True, blank=True, help_text=_("The due_at a reminder was last sent for.")
    )
    funded_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    inspection_extended = models.BooleanField(default=False)
    policy_acknowledged_at = models.DateTimeField(null=True, blank=True)
    policy_note = models.TextField(
        blank=True, help_text=_("The transfer-policy note the buyer acknowledged, as shown.")
    )
    credentials_first_viewed_at = models.DateTimeField(null=True, blank=True)
    payment_attempt_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_(
            "Set under the deal lock before the card is sent to the provider and "
            "cleared when the answer is recorded: a cancel is refused while it is recent."
        ),
    )
    watched_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_(
            "Under moderator watch since (listing removed, seller banned or frozen): "
            "the buyer may ask for a refund and the payout is held until the watch ends."
        ),
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
        from kernel.punctuation import bracketed, colon

        from ..events import label_for  # the timeline's wording; events has no imports back

        name = self.state_name
        what = label_for(self.kind)
        change = f"{name(self.from_state)} → {name(self.to_state)}"
        return f"{self.deal_id}{colon()}{bracketed(change, what)}"

    @staticmethod
    def state_name(code: str) -> str:
        """A state's name in the current language (the rows keep codes; "" is the
        state before a deal's first event)."""
        return Deal.State(code).label if code in Deal.State.values else code or "—"


class Handover(models.Model):
    """What the seller hands over. Everything secret is encrypted at rest."""

    deal = models.OneToOneField(Deal, on_delete=models.PROTECT, related_name="handover")
    login = EncryptedTextField(_("login (user name, e-mail or phone)"))
    password = EncryptedTextField(_("password"))
    recovery = EncryptedTextField(_("recovery e-mail / phone and backup codes"), blank=True)
    notes = EncryptedTextField(_("notes for the buyer"), blank=True)
    checklist = EncryptedTextField(help_text=_("JSON list of the checklist items confirmed."))
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
        return gettext("deal %(deal)s viewed by user %(user)s") % {
            "deal": self.deal_id,
            "user": self.user_id,
        }
