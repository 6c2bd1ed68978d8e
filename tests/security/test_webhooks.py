"""Webhooks under attack: forged signatures, stale and future timestamps, replays,
malformed bodies and events for objects that are not ours — at the payments
webhook (simulated gateway and Stripe) and at the Stripe Identity webhook. Each is
refused (400) or ignored (200) with nothing changed."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.models import IdentityVerification
from escrow import services
from escrow.gateways.simulated import sign
from escrow.models import Deal, LedgerEntry, Payment, SimEvent, WebhookEvent
from tests.factories import UserFactory, VerifiedUserFactory

from . import figures
from .access import diff, fingerprint
from .world import GOOD_CARD, _listing, make_staff

pytestmark = pytest.mark.django_db

ESCROW_URL = "/webhooks/stripe/"
IDENTITY_URL = "/webhooks/stripe/identity/"


def _stripe_signature(body: str, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _post(client, url, body, signature=None):
    headers = {"Stripe-Signature": signature} if signature is not None else {}
    return client.post(url, body, content_type="application/json", headers=headers)


class Tally:
    def __init__(self):
        self.checked = 0
        self.failures: list[str] = []

    def check(self, name: str, ok: bool, detail: str = ""):
        self.checked += 1
        if not ok:
            self.failures.append(f"{name}: {detail}")


@pytest.fixture
def paid_deal(db):
    now = timezone.now()
    mod = make_staff()
    seller, buyer = VerifiedUserFactory(), VerifiedUserFactory()
    listing = _listing(seller, mod, title="Webhook target")
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    services.acknowledge_transfer_policy(deal_id=deal.pk, buyer=buyer, note="n", now=now)
    services.pay_deal(deal_id=deal.pk, buyer=buyer, card=GOOD_CARD, now=now)
    deal.refresh_from_db()
    return deal


def _changed(before):
    return [k for k in diff(before, fingerprint()) if not k.startswith("escrow.webhookevent")]


def test_payment_webhook_refuses_forgeries_and_ignores_replays(client, paid_deal):
    tally = Tally()
    event = SimEvent.objects.filter(type="payment_intent.succeeded").first()
    assert event is not None
    body = event.payload
    now = int(time.time())
    refused = {
        "no signature": None,
        "forged (other secret)": sign(body.encode(), secret="not-the-secret"),
        "malformed header": "garbage",
        "empty v1": f"t={now},v1=",
        "stale timestamp": sign(body.encode(), timestamp=now - 3600),
        "future timestamp": sign(body.encode(), timestamp=now + 3600),
        "signature of another body": sign(b'{"id": "evt_other"}'),
    }
    for name, signature in refused.items():
        before = fingerprint()
        response = _post(client, ESCROW_URL, body, signature)
        tally.check(name, response.status_code == 400, f"status {response.status_code}")
        tally.check(name + " wrote nothing", not diff(before, fingerprint()), "state changed")

    # Tampered body under a valid signature of the original.
    tampered = body.replace('"amount": ', '"amount": 1').encode()
    before = fingerprint()
    response = _post(client, ESCROW_URL, tampered, sign(body.encode()))
    tally.check("tampered body", response.status_code == 400, f"status {response.status_code}")
    tally.check("tampered body wrote nothing", not diff(before, fingerprint()))

    # The genuine event is applied once; a replay (same id) changes nothing.
    response = _post(client, ESCROW_URL, body, sign(body.encode()))
    tally.check("genuine", response.status_code == 200, f"status {response.status_code}")
    stored = WebhookEvent.objects.count()
    ledger = LedgerEntry.objects.count()
    before = fingerprint()
    for _ in range(3):
        response = _post(client, ESCROW_URL, body, sign(body.encode()))
        tally.check("replay", response.status_code == 200, f"status {response.status_code}")
    tally.check("replay wrote nothing", not diff(before, fingerprint()), "state changed")
    tally.check("replay stored once", WebhookEvent.objects.count() == stored)
    tally.check("replay booked nothing", LedgerEntry.objects.count() == ledger)
    figures.record("webhooks", checked=tally.checked, failed=len(tally.failures))
    assert not tally.failures, "\n".join(tally.failures)


def _signed_event(obj: dict, type_="payment_intent.succeeded", event_id="evt_sec_1"):
    body = json.dumps({"id": event_id, "type": type_, "data": {"object": obj}})
    return body, sign(body.encode())


def test_payment_webhook_events_for_unknown_or_malformed_objects_change_nothing(client, paid_deal):
    tally = Tally()
    deal_state = paid_deal.state
    cases = {
        "unknown payment intent": (
            {"id": "pi_sim_unknown", "object": "payment_intent", "amount": 999_999},
            200,
        ),
        "metadata naming another deal's payment": (
            {
                "id": "pi_sim_forged",
                "object": "payment_intent",
                "amount": 1,
                "status": "succeeded",
                "metadata": {"payment_id": "999999"},
            },
            200,
        ),
        "unknown account": ({"id": "acct_unknown", "object": "account"}, 200),
    }
    for i, (name, (obj, expected)) in enumerate(cases.items()):
        type_ = "account.updated" if name == "unknown account" else "payment_intent.succeeded"
        body, signature = _signed_event(obj, type_=type_, event_id=f"evt_sec_{i}")
        before = fingerprint()
        response = _post(client, ESCROW_URL, body, signature)
        tally.check(name, response.status_code == expected, f"status {response.status_code}")
        tally.check(name + " changed nothing", not _changed(before), str(_changed(before)))
    paid_deal.refresh_from_db()
    tally.check("deal untouched", paid_deal.state == deal_state)
    tally.check("payments untouched", Payment.objects.count() == Deal.objects.count())
    figures.record("webhooks", checked=tally.checked, failed=len(tally.failures))
    assert not tally.failures, "\n".join(tally.failures)


def test_payment_webhook_signed_but_malformed_bodies_get_400(client, paid_deal):
    for i, obj in enumerate(
        ["not-an-object", {"id": "pi_sim_x", "object": "payment_intent", "amount": "lots"}]
    ):
        body, signature = _signed_event(obj, event_id=f"evt_bad_{i}")
        before = fingerprint()
        response = _post(client, ESCROW_URL, body, signature)
        assert response.status_code == 400
        assert not _changed(before)


STRIPE_SECRET = "whsec_security_suite"


@override_settings(
    PAYMENT_GATEWAY="escrow.gateways.stripe.StripeGateway",
    STRIPE_SECRET_KEY="sk_test_security",
    STRIPE_WEBHOOK_SECRET=STRIPE_SECRET,
)
def test_stripe_payment_webhook_refuses_forged_and_stale_events(client):
    tally = Tally()
    body = json.dumps(
        {
            "id": "evt_stripe_1",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": "pi_unknown", "object": "payment_intent", "amount": 5}},
        }
    )
    now = int(time.time())
    for name, signature in {
        "no signature": None,
        "forged": _stripe_signature(body, "whsec_wrong"),
        "stale": _stripe_signature(body, STRIPE_SECRET, now - 3600),
        "malformed": "t=abc,v1=xyz",
    }.items():
        before = fingerprint()
        response = _post(client, ESCROW_URL, body, signature)
        tally.check(name, response.status_code == 400, f"status {response.status_code}")
        tally.check(name + " wrote nothing", not diff(before, fingerprint()))
    figures.record("webhooks", checked=tally.checked, failed=len(tally.failures))
    assert not tally.failures, "\n".join(tally.failures)


IDENTITY_SECRET = "whsec_identity_security"


@override_settings(
    IDENTITY_PROVIDER="accounts.identity.StripeIdentityProvider",
    STRIPE_SECRET_KEY="sk_test_identity",
    STRIPE_IDENTITY_WEBHOOK_SECRET=IDENTITY_SECRET,
)
def test_identity_webhook_refuses_forgeries_replays_and_strangers(client, monkeypatch):
    from accounts import services as accounts
    from accounts.identity import StripeIdentityProvider
    from tests.accounts.identity_helpers import FakeStripeHTTP
    from tests.factories import document_photo

    # Stripe's network: the session reads back as verified (the provider wins).
    monkeypatch.setattr(
        StripeIdentityProvider, "http_client", FakeStripeHTTP(session_id="vs_security_1")
    )

    tally = Tally()
    user = UserFactory()
    verification = accounts.submit_verification(
        user=user,
        submission=accounts.VerificationSubmission(
            legal_name="Webhook Person",
            document_type="passport",
            document_number="W1234567",
            date_of_birth=__import__("datetime").date(1990, 1, 1),
            country="GB",
        ),
        document_image=document_photo(),
    )
    IdentityVerification.objects.filter(pk=verification.pk).update(
        provider="stripe_identity", provider_reference="vs_security_1"
    )

    def event(session_id, event_id, type_="identity.verification_session.verified"):
        return json.dumps(
            {
                "id": event_id,
                "object": "event",
                "type": type_,
                "data": {
                    "object": {
                        "id": session_id,
                        "object": "identity.verification_session",
                        "metadata": {},
                    }
                },
            }
        )

    body = event("vs_security_1", "evt_id_1")
    now = int(time.time())
    for name, signature in {
        "no signature": "",
        "forged": _stripe_signature(body, "whsec_wrong"),
        "stale": _stripe_signature(body, IDENTITY_SECRET, now - 3600),
    }.items():
        before = fingerprint()
        response = _post(client, IDENTITY_URL, body, signature)
        tally.check(name, response.status_code == 400, f"status {response.status_code}")
        tally.check(name + " wrote nothing", not diff(before, fingerprint()))
    verification.refresh_from_db()
    tally.check("still pending after forgeries", verification.state == "pending")

    # Someone else's (unknown) session: ignored.
    before = fingerprint()
    stranger = event("vs_not_ours", "evt_id_2")
    response = _post(client, IDENTITY_URL, stranger, _stripe_signature(stranger, IDENTITY_SECRET))
    tally.check("unknown session", response.status_code == 200, f"status {response.status_code}")
    tally.check("unknown session changed nothing", not diff(before, fingerprint()))

    # The genuine event applies once; a replay, and a late contrary event, change nothing.
    response = _post(client, IDENTITY_URL, body, _stripe_signature(body, IDENTITY_SECRET))
    verification.refresh_from_db()
    tally.check("genuine applied", verification.state == "verified", verification.state)
    before = fingerprint()
    for replay in (
        body,
        event("vs_security_1", "evt_id_3", "identity.verification_session.requires_input"),
    ):
        response = _post(client, IDENTITY_URL, replay, _stripe_signature(replay, IDENTITY_SECRET))
        tally.check("replay", response.status_code == 200, f"status {response.status_code}")
    tally.check("replay changed nothing", not diff(before, fingerprint()))
    figures.record("webhooks", checked=tally.checked, failed=len(tally.failures))
    assert not tally.failures, "\n".join(tally.failures)


def _malformed_bodies(ref: str) -> dict[str, bytes]:
    """Correctly signed bodies a provider never sends (issue 18, item 2)."""

    def event(obj=None, **top):
        body = {"id": "evt_bad", "type": "payment_intent.succeeded", "data": {"object": obj or {}}}
        body.update(top)
        return json.dumps(body).encode()

    pi = {"id": ref, "object": "payment_intent", "currency": "usd"}
    dispute = {"id": "dp_1", "object": "dispute", "payment_intent": ref, "amount": 100}
    return {
        "amount 1e400": event(dict(pi, amount="@")).replace(b'"@"', b"1e400"),
        "amount NaN": event(dict(pi, amount="@")).replace(b'"@"', b"NaN"),
        "amount 10**30": event(dict(pi, amount=10**30)),
        "amount 1.5": event(dict(pi, amount=1.5)),
        "amount as text": event(dict(pi, amount="100")),
        "amount negative": event(dict(pi, amount=-5)),
        "amount true": event(dict(pi, amount=True)),
        "event id of 2,000 characters": event(pi, id="e" * 2_000),
        "type of 2,000 characters": event(pi, type="t" * 2_000),
        "object id of 2,000 characters": event(dict(pi, id="p" * 2_000)),
        "NUL in the id": event(pi, id="evt_\x00"),
        "NUL in the type": event(pi, type="payment_intent.\x00"),
        "NUL deep inside": event(dict(pi, metadata={"note": "a\x00b"})),
        "lone surrogate": event(dict(pi, metadata={"note": "@"})).replace(b'"@"', b'"\\ud800"'),
        "non-numeric dispute fee": event(
            dict(dispute, balance_transactions=[{"fee": "fifteen"}]), type="charge.dispute.created"
        ),
        "dispute fee 1e400": event(
            dict(dispute, balance_transactions=[{"fee": "@"}]), type="charge.dispute.created"
        ).replace(b'"@"', b"1e400"),
        "balance transactions not a list": event(
            dict(dispute, balance_transactions="x"), type="charge.dispute.created"
        ),
        "metadata a list": event(dict(pi, metadata=["payment_id", "1"])),
        "payment_intent a number": event(dict(dispute, payment_intent=7)),
        "data.object a list": event(None, data={"object": [1]}),
        "data a string": event(None, data="x"),
        "data.object missing": event(None, data={}),
        "id missing": json.dumps({"type": "charge.refunded", "data": {"object": {}}}).encode(),
        "type missing": json.dumps({"id": "evt_x", "data": {"object": {}}}).encode(),
        "id a number": event(pi, id=12),
        "type a list": event(pi, type=["payment_intent.succeeded"]),
        "payouts_enabled a string": event(
            {"id": "acct_1", "object": "account", "payouts_enabled": "yes"}, type="account.updated"
        ),
        "nested 5,000 deep": b'{"id":"evt_d","type":"x","data":{"object":'
        + b'{"a":' * 5_000
        + b"1"
        + b"}" * 5_002,
        "a top-level list": b"[1, 2]",
        "not JSON": b"\xff\xfe not json",
    }


@pytest.mark.parametrize("gateway_name", ["simulated", "stripe"])
def test_signed_but_malformed_events_get_400_with_a_log_line_never_500(
    client, paid_deal, gateway_name, caplog, settings
):
    tally = Tally()
    if gateway_name == "stripe":
        settings.PAYMENT_GATEWAY = "escrow.gateways.stripe.StripeGateway"
        settings.STRIPE_SECRET_KEY = "sk_test_security"
        settings.STRIPE_WEBHOOK_SECRET = STRIPE_SECRET

        def signed(body: bytes) -> str:
            timestamp = int(time.time())
            mac = hmac.new(STRIPE_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
            return f"t={timestamp},v1={mac.hexdigest()}"
    else:
        signed = sign
    for name, body in _malformed_bodies(paid_deal.payment.provider_ref).items():
        before = fingerprint()
        caplog.clear()
        response = client.post(
            ESCROW_URL,
            body,
            content_type="application/json",
            headers={"Stripe-Signature": signed(body)},
        )
        tally.check(name, response.status_code == 400, f"status {response.status_code}")
        tally.check(name + " wrote nothing", not diff(before, fingerprint()))
        tally.check(
            name + " logged",
            any("webhook refused" in r.getMessage() for r in caplog.records),
            "no log line",
        )
    figures.record("webhooks", checked=tally.checked, failed=len(tally.failures))
    assert not tally.failures, "\n".join(tally.failures)


@override_settings(
    IDENTITY_PROVIDER="accounts.identity.StripeIdentityProvider",
    STRIPE_SECRET_KEY="sk_test_identity",
    STRIPE_IDENTITY_WEBHOOK_SECRET=IDENTITY_SECRET,
)
def test_identity_webhook_signed_but_malformed_events_never_500(client, monkeypatch):
    from accounts.identity import StripeIdentityProvider
    from tests.accounts.identity_helpers import FakeStripeHTTP

    monkeypatch.setattr(StripeIdentityProvider, "http_client", FakeStripeHTTP(session_id="vs_1"))
    verified = "identity.verification_session.verified"
    failed = "identity.verification_session.requires_input"

    def event(obj, type_=verified, **top):
        body = {"id": "evt_idm", "type": type_, "data": {"object": obj}}
        body.update(top)
        return json.dumps(body)

    session = {"id": "vs_1", "object": "identity.verification_session", "metadata": {}}
    bodies = {
        "session id of 2,000 characters": event(dict(session, id="v" * 2_000)),
        "event id of 2,000 characters": event(session, id="e" * 2_000),
        "NUL in the session id": event(dict(session, id="vs_\x00")),
        "NUL in the event id": event(session, id="evt_\x00"),
        "session id a number": event(dict(session, id=5)),
        "session id missing": event({"object": "identity.verification_session"}),
        "event id missing": json.dumps({"type": verified, "data": {"object": session}}),
        "type a list": event(session, type=[verified]),
        "data.object a list": event([1]),
        "data a string": json.dumps({"id": "evt_x", "type": verified, "data": "x"}),
        "metadata a list": event(dict(session, metadata=[1])),
        "verification id of 400 digits": event(
            dict(session, metadata={"verification_id": "9" * 400})
        ),
        "last_error a string": event(dict(session, last_error="x"), type_=failed),
        "reason a number": event(dict(session, last_error={"reason": 7}), type_=failed),
        "amount 1e400": event(dict(session, amount="@")).replace('"@"', "1e400"),
        "a top-level list": "[1, 2]",
    }
    for name, body in bodies.items():
        before = fingerprint()
        response = _post(client, IDENTITY_URL, body, _stripe_signature(body, IDENTITY_SECRET))
        assert response.status_code in (200, 400), (name, response.status_code)
        assert not diff(before, fingerprint()), name
