"""Escrow data: deals, the money moving at the provider, the ledger, webhooks,
notifications, protection (chat, disputes, chargebacks, reviews), reconciliation
and the simulated provider's own rows.

Money is always an integer number of minor units of the deal's currency (cents for
USD); the unit is named in each field's help text. Ledger rows are append-only.

One module per capability; everything is re-exported here, so code imports
``from escrow.models import …`` and Django finds every model.
"""

from .deals import CredentialView, Deal, DealEvent, Handover
from .ledger import MINOR_UNITS, Account, LedgerEntry, LedgerTransaction
from .notifications import Notification
from .payments import Payment, Payout, Refund, SellerPayoutAccount
from .protection import Chargeback, DealMessage, Dispute, DisputeEvidence, PartyRole, Review
from .reconciliation import ReconciliationDifference, ReconciliationRun
from .simulated import (
    SimConnectedAccount,
    SimDispute,
    SimEvent,
    SimIdempotencyKey,
    SimPaymentIntent,
    SimRefund,
    SimTransfer,
)
from .webhooks import WebhookEvent

__all__ = [
    "MINOR_UNITS",
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
    "PartyRole",
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
