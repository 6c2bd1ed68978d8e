"""Validation of provider payloads at the edge: a signed event (or a provider
response) is checked field by field before anything reads it.

A body that is not what the provider sends — numbers that are not integers or do
not fit, ids or types that are too long or carry control characters, wrong JSON
types, missing keys, NUL characters or lone surrogates anywhere (PostgreSQL's
``jsonb`` cannot store them) — raises ``MalformedPayload`` (a
``WebhookVerificationError``: the handler answers 400 and logs it). Nothing past
this module sees an unchecked value.
"""

from __future__ import annotations

import json
import math
import re

from .base import WebhookEvent, WebhookVerificationError

#: Largest amount we accept, in minor units (Stripe's own limit is 8 digits; this
#: leaves room for zero-decimal currencies and still fits a BigIntegerField).
MAX_AMOUNT = 10**12
#: Event ids, object ids and references: Stripe's are ``prefix_`` + base62.
REF_RE = re.compile(r"^[A-Za-z0-9_\-]{1,255}$")
TYPE_RE = re.compile(r"^[a-z0-9_.]{1,80}$")
CODE_RE = re.compile(r"^[A-Za-z0-9_.\-]{0,64}$")
#: Free-text fields we keep (statuses, reasons) are short words at Stripe.
WORD_RE = re.compile(r"^[A-Za-z0-9_.\- ]{0,80}$")
CURRENCY_RE = re.compile(r"^[A-Za-z]{3}$")
MAX_DEPTH = 32


class MalformedPayload(WebhookVerificationError):
    def __init__(self, message: str = "Malformed event body."):
        super().__init__(message)


def _reject_constant(name: str):
    raise MalformedPayload(f"Malformed event body: {name} is not a number.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise MalformedPayload("Malformed event body: a number out of range.")
    return value


def _check_tree(value, depth: int = 0) -> None:
    """No NUL characters, no lone surrogates, no absurd nesting, anywhere."""
    if depth > MAX_DEPTH:
        raise MalformedPayload("Malformed event body: nested too deeply.")
    if isinstance(value, str):
        if "\x00" in value:
            raise MalformedPayload("Malformed event body: a NUL character.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise MalformedPayload("Malformed event body: not valid UTF-8.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_tree(key, depth + 1)
            _check_tree(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_tree(item, depth + 1)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**18:
        # PostgreSQL's jsonb would take it, our BigInteger columns would not.
        raise MalformedPayload("Malformed event body: a number out of range.")


def load_json(payload: bytes | str) -> dict:
    """Parse a JSON object strictly: no NaN/Infinity, no non-finite floats (``1e400``),
    no NUL characters or lone surrogates, bounded nesting."""
    try:
        data = json.loads(payload, parse_constant=_reject_constant, parse_float=_finite_float)
    except MalformedPayload:
        raise
    except (ValueError, TypeError, RecursionError):
        raise MalformedPayload()
    if not isinstance(data, dict):
        raise MalformedPayload("Malformed event body: not an object.")
    _check_tree(data)
    return data


def ref(value, *, field: str, required: bool = False) -> str:
    """An id or reference: a short string of ``[A-Za-z0-9_-]``, or ``""``."""
    if value is None or value == "":
        if required:
            raise MalformedPayload(f"Malformed event body: {field} is missing.")
        return ""
    if isinstance(value, dict) and "id" in value:  # an expanded object
        return ref(value["id"], field=field, required=required)
    if not isinstance(value, str) or not REF_RE.match(value):
        raise MalformedPayload(f"Malformed event body: {field} is not an id.")
    return value


def amount(value, *, field: str) -> int:
    """Minor units: a non-negative JSON integer that fits (absent → 0)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedPayload(f"Malformed event body: {field} is not an integer.")
    if not 0 <= value <= MAX_AMOUNT:
        raise MalformedPayload(f"Malformed event body: {field} is out of range.")
    return value


def word(value, *, field: str, pattern: re.Pattern = WORD_RE) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or not pattern.match(value):
        raise MalformedPayload(f"Malformed event body: {field} is not valid.")
    return value


def currency(value, *, field: str = "currency") -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not CURRENCY_RE.match(value):
        raise MalformedPayload(f"Malformed event body: {field} is not a currency.")
    return value.upper()


def mapping(value, *, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedPayload(f"Malformed event body: {field} is not an object.")
    return value


def metadata(value) -> dict[str, str]:
    """Our metadata: string keys and short string values (Stripe's limits)."""
    data = mapping(value, field="metadata")
    for key, item in data.items():
        if not isinstance(item, str) or len(key) > 40 or len(item) > 500:
            raise MalformedPayload("Malformed event body: metadata is not valid.")
    return data


def fee_total(transactions) -> int:
    """The fees of a dispute's balance transactions (each a JSON integer)."""
    if transactions is None:
        return 0
    if not isinstance(transactions, list) or len(transactions) > 100:
        raise MalformedPayload("Malformed event body: balance_transactions is not a list.")
    total = 0
    for txn in transactions:
        if not isinstance(txn, dict):
            raise MalformedPayload("Malformed event body: a balance transaction is not an object.")
        total += amount(txn.get("fee"), field="balance_transactions.fee")
    if total > MAX_AMOUNT:
        raise MalformedPayload("Malformed event body: fees out of range.")
    return total


def parse_stripe_shaped_event(payload: bytes | str) -> WebhookEvent:
    """A Stripe-shaped event (``{"id", "type", "data": {"object": {...}}}``),
    validated. The fields we read are typed on ``WebhookEvent``; ``raw`` is the
    checked body (safe to store)."""
    data = load_json(payload)
    event_id = ref(data.get("id"), field="id", required=True)
    type_ = word(data.get("type"), field="type", pattern=TYPE_RE)
    if not type_:
        raise MalformedPayload("Malformed event body: type is missing.")
    body = mapping(data.get("data"), field="data")
    if "object" not in body:
        raise MalformedPayload("Malformed event body: data.object is missing.")
    obj = body["object"]
    if not isinstance(obj, dict):
        raise MalformedPayload("Malformed event body: data.object is not an object.")
    kind = word(obj.get("object"), field="object")
    object_id = ref(obj.get("id"), field="object id")
    payment_ref = ""
    if kind == "payment_intent":
        payment_ref = object_id
    elif obj.get("payment_intent") is not None:
        payment_ref = ref(obj.get("payment_intent"), field="payment_intent")
    error = mapping(obj.get("last_payment_error"), field="last_payment_error")
    meta = metadata(obj.get("metadata"))
    # Every number an event may carry is checked, also those we do not read
    # (the provider's answer, not the event, decides what we record).
    for key in ("amount", "amount_refunded", "amount_received", "amount_captured"):
        amount(obj.get(key), field=key)
    processing_fee = amount(obj.get("processing_fee"), field="processing_fee")
    fee_total(obj.get("balance_transactions"))
    payouts_enabled = obj.get("payouts_enabled") if kind == "account" else None
    if payouts_enabled is not None and not isinstance(payouts_enabled, bool):
        raise MalformedPayload("Malformed event body: payouts_enabled is not a boolean.")
    return WebhookEvent(
        id=event_id,
        type=type_,
        payment_ref=payment_ref,
        status=word(obj.get("status"), field="status"),
        amount=amount(obj.get("amount"), field="amount"),
        processing_fee=processing_fee,
        account_ref=object_id if kind == "account" else "",
        payouts_enabled=payouts_enabled,
        error_code=word(error.get("code"), field="error code", pattern=CODE_RE),
        object_type=kind,
        object_ref=object_id,
        currency=currency(obj.get("currency")),
        has_amount="amount" in obj,
        metadata=meta,
        raw=data,
    )
