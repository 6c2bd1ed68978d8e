"""The simulated payment provider's own rows (not our books): what the "provider"
believes it captured, refunded, transferred and disputed, its idempotency keys and
the events it sends. Written only by ``escrow.gateways.simulated``."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from .ledger import MINOR_UNITS


class SimPaymentIntent(models.Model):
    """Provider-side state of the simulated gateway (not our books): what the
    "provider" believes it captured. Written only by ``escrow.gateways.simulated``."""

    id = models.CharField(primary_key=True, max_length=40)
    amount = models.BigIntegerField(help_text=MINOR_UNITS)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=32, default="requires_payment_method")
    processing_fee = models.BigIntegerField(default=0, help_text=MINOR_UNITS)
    amount_refunded = models.BigIntegerField(default=0, help_text=MINOR_UNITS)
    last_error = models.CharField(max_length=64, blank=True)
    metadata = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.id


class SimRefund(models.Model):
    id = models.CharField(primary_key=True, max_length=40)
    payment_intent = models.ForeignKey(SimPaymentIntent, on_delete=models.PROTECT)
    amount = models.BigIntegerField(help_text=MINOR_UNITS)
    metadata = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.id


class SimTransfer(models.Model):
    id = models.CharField(primary_key=True, max_length=40)
    amount = models.BigIntegerField(help_text=MINOR_UNITS)
    currency = models.CharField(max_length=3)
    destination = models.CharField(max_length=40)
    source_transaction = models.CharField(max_length=40, blank=True)
    metadata = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.id


class SimConnectedAccount(models.Model):
    id = models.CharField(primary_key=True, max_length=40)
    email = models.EmailField(blank=True)
    country = models.CharField(max_length=2, default="US")
    payouts_enabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.id


class SimIdempotencyKey(models.Model):
    """Like Stripe, the simulated provider remembers a key (and the request it came
    with) for 24 hours: a replay returns the stored response, a different request
    with the same key is refused."""

    key = models.CharField(max_length=255, unique=True)
    request_hash = models.CharField(max_length=64)
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key


class SimEvent(models.Model):
    """Events the simulated provider sent (or will send) to our webhook."""

    id = models.CharField(primary_key=True, max_length=40)
    type = models.CharField(max_length=80)
    payload = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.id} {self.type}"


class SimDispute(models.Model):
    """Provider-side state of the simulated gateway: a card dispute on a payment."""

    id = models.CharField(primary_key=True, max_length=40)
    payment_intent = models.ForeignKey(SimPaymentIntent, on_delete=models.PROTECT)
    amount = models.BigIntegerField(help_text=MINOR_UNITS)
    fee = models.BigIntegerField(default=0, help_text=MINOR_UNITS)
    status = models.CharField(max_length=20, default="needs_response")
    reason = models.CharField(max_length=40, default="fraudulent")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.id
