"""Stripe Identity behind the identity adapter, with only Stripe's HTTP layer stubbed."""

import hashlib
import hmac
import json
import time

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from accounts.identity import StripeIdentityProvider, get_identity_provider
from accounts.models import IdentityVerification
from governance.policy import can
from tests.accounts.identity_helpers import FakeStripeHTTP, form_data
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
WEBHOOK_SECRET = "whsec_test_identity"
STRIPE = override_settings(
    IDENTITY_PROVIDER="accounts.identity.StripeIdentityProvider",
    STRIPE_SECRET_KEY="sk_test_identity",
    STRIPE_IDENTITY_WEBHOOK_SECRET=WEBHOOK_SECRET,
    STRIPE_API_BASE="",
)


@pytest.fixture
def fake_stripe(monkeypatch):
    fake = FakeStripeHTTP()
    monkeypatch.setattr(StripeIdentityProvider, "http_client", fake)
    return fake


def _signed(payload: dict, secret=WEBHOOK_SECRET, timestamp=None):
    body = json.dumps(payload)
    timestamp = timestamp or int(time.time())
    signature = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return body, f"t={timestamp},v1={signature.hexdigest()}"


def _event(event_type, session_id="vs_test_123", verification_id=None, last_error=None):
    return {
        "id": f"evt_{event_type[-8:]}_{session_id}",
        "object": "event",
        "type": event_type,
        "data": {
            "object": {
                "id": session_id,
                "object": "identity.verification_session",
                "metadata": {"verification_id": str(verification_id or "")},
                "last_error": last_error,
            }
        },
    }


def _post_event(client, payload, **kwargs):
    body, header = _signed(payload, **kwargs)
    return client.post(
        "/webhooks/stripe/identity/",
        body,
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )


@STRIPE
def test_submission_creates_a_verification_session_and_sends_the_user_to_stripe(
    client, fake_stripe
):
    user = UserFactory()
    client.force_login(user)
    data = form_data()
    del data["document_image"]  # Stripe photographs the document itself
    response = client.post("/verify/", data)
    assert response.status_code == 302
    assert response["Location"] == "https://verify.stripe.com/start/test_abc"
    verification = IdentityVerification.objects.get(user=user)
    assert verification.provider == "stripe_identity"
    assert verification.provider_reference == "vs_test_123"
    method, url, headers, post_data = fake_stripe.calls[0]
    assert method == "post" and url.endswith("/v1/identity/verification_sessions")
    assert f"metadata[verification_id]={verification.pk}" in post_data.replace("%5B", "[").replace(
        "%5D", "]"
    )
    assert headers["Idempotency-Key"] == f"identity-session-{verification.pk}"


@STRIPE
def test_stripe_outage_keeps_the_submission_and_tells_the_user(client, monkeypatch):
    monkeypatch.setattr(StripeIdentityProvider, "http_client", FakeStripeHTTP(status=500))
    user = UserFactory()
    client.force_login(user)
    data = form_data()
    response = client.post("/verify/", data, follow=True)
    assert response.status_code == 200
    assert b"could not be reached" in response.content
    assert b"Continue the identity check" in response.content
    verification = IdentityVerification.objects.get(user=user)
    assert verification.state == "pending" and verification.provider_reference == ""

    # Still down: continuing says so again and keeps the user on /verify/.
    response = client.post("/verify/", {"action": "continue"}, follow=True)
    assert response.redirect_chain == [("/verify/", 302)]
    assert b"could not be reached" in response.content

    # Stripe is back: the user continues to the hosted check from /verify/.
    monkeypatch.setattr(StripeIdentityProvider, "http_client", FakeStripeHTTP())
    response = client.post("/verify/", {"action": "continue"})
    assert response["Location"] == "https://verify.stripe.com/start/test_abc"
    verification.refresh_from_db()
    assert verification.provider_reference == "vs_test_123"


@STRIPE
def test_verified_event_approves_and_a_replay_changes_nothing(client, fake_stripe):
    user = UserFactory()
    client.force_login(user)
    client.post("/verify/", form_data())
    verification = IdentityVerification.objects.get(user=user)
    client.logout()

    event = _event("identity.verification_session.verified", verification_id=verification.pk)
    assert _post_event(client, event).status_code == 200
    verification.refresh_from_db()
    user.refresh_from_db()
    assert verification.state == "verified" and verification.decided_by is None
    assert can(user, "sell")
    expires = verification.expires_at
    fake_stripe.session_status = "requires_input"  # whatever Stripe says later…
    assert _post_event(client, event).status_code == 200  # replay
    late = _event("identity.verification_session.requires_input", verification_id=verification.pk)
    assert _post_event(client, late).status_code == 200  # out of order
    verification.refresh_from_db()
    assert verification.state == "verified" and verification.expires_at == expires


@STRIPE
def test_requires_input_event_rejects_with_the_reason(client, fake_stripe):
    user = UserFactory()
    client.force_login(user)
    client.post("/verify/", form_data())
    verification = IdentityVerification.objects.get(user=user)
    fake_stripe.session_status = "requires_input"
    fake_stripe.last_error = {"code": "document_expired", "reason": "The document is expired."}
    event = _event(
        "identity.verification_session.requires_input",
        verification_id=verification.pk,
        last_error={"code": "document_expired", "reason": "The document is expired."},
    )
    assert _post_event(client, event).status_code == 200
    verification.refresh_from_db()
    assert verification.state == "rejected"
    assert verification.decision_reason == "The document is expired."


@STRIPE
def test_webhook_with_a_bad_signature_is_refused(client, fake_stripe):
    user = UserFactory()
    client.force_login(user)
    client.post("/verify/", form_data())
    event = _event("identity.verification_session.verified")
    assert _post_event(client, event, secret="whsec_wrong").status_code == 400
    old = int(time.time()) - 3600
    assert _post_event(client, event, timestamp=old).status_code == 400
    response = client.post("/webhooks/stripe/identity/", "{}", content_type="application/json")
    assert response.status_code == 400
    assert IdentityVerification.objects.get(user=user).state == "pending"


@STRIPE
def test_unrelated_events_are_acknowledged_and_ignored(client, fake_stripe):
    assert (
        _post_event(client, _event("identity.verification_session.processing")).status_code == 200
    )
    assert (
        _post_event(
            client, _event("identity.verification_session.verified", "vs_unknown")
        ).status_code
        == 200
    )


def test_webhook_is_not_found_with_the_manual_provider(client):
    assert get_identity_provider().name == "manual"
    body, header = _signed(_event("identity.verification_session.verified"))
    response = client.post(
        "/webhooks/stripe/identity/",
        body,
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )
    assert response.status_code == 404


@override_settings(
    IDENTITY_PROVIDER="accounts.identity.StripeIdentityProvider",
    STRIPE_SECRET_KEY="",
    STRIPE_IDENTITY_WEBHOOK_SECRET="",
)
def test_system_check_refuses_stripe_identity_without_keys():
    messages = [e.msg for e in run_checks() if e.id == "handoff.E011"]
    assert any("STRIPE_SECRET_KEY" in m for m in messages)
    assert any("WEBHOOK_SECRET" in m for m in messages)


def test_default_provider_is_manual_review(settings):
    assert settings.IDENTITY_PROVIDER == "accounts.identity.ManualReviewProvider"
    assert not [e for e in run_checks() if e.id in ("handoff.E010", "handoff.E011")]


def _pending_stripe_verification(client):
    user = UserFactory()
    client.force_login(user)
    client.post("/verify/", form_data())
    client.logout()
    return user, IdentityVerification.objects.get(user=user)


@STRIPE
def test_an_event_applies_what_stripe_says_now_not_what_it_carries(client, fake_stripe):
    """A signed but out-of-date event (requires_input, sent before the user tried
    again) applies the session's verdict read back from Stripe: verified."""
    user, verification = _pending_stripe_verification(client)
    fake_stripe.session_status = "verified"
    stale = _event("identity.verification_session.requires_input", verification_id=verification.pk)
    assert _post_event(client, stale).status_code == 200
    verification.refresh_from_db()
    assert verification.state == "verified"
    assert ("get", True) in [
        (m, u.split("?")[0].endswith("/vs_test_123")) for m, u, *_ in fake_stripe.calls
    ]


@STRIPE
def test_a_verified_event_for_a_session_stripe_has_not_verified_approves_nothing(
    client, fake_stripe
):
    user, verification = _pending_stripe_verification(client)
    fake_stripe.session_status = "processing"
    event = _event("identity.verification_session.verified", verification_id=verification.pk)
    assert _post_event(client, event).status_code == 200
    verification.refresh_from_db()
    user.refresh_from_db()
    assert verification.state == "pending" and not can(user, "sell")


@STRIPE
def test_stripe_unreachable_leaves_the_event_for_its_retry(client, fake_stripe):
    user, verification = _pending_stripe_verification(client)
    event = _event("identity.verification_session.verified", verification_id=verification.pk)
    fake_stripe.status = 500
    response = _post_event(client, event)
    assert response.status_code == 503  # not acknowledged: Stripe sends it again
    verification.refresh_from_db()
    assert verification.state == "pending"
    fake_stripe.status = 200  # Stripe is back; its retry of the same event applies
    assert _post_event(client, event).status_code == 200
    verification.refresh_from_db()
    assert verification.state == "verified"


# ------------------------------------------- the date of birth Stripe read on the document


def _submitted(client):
    user = UserFactory()
    client.force_login(user)
    client.post("/verify/", form_data())  # declares 14 March 1990
    client.logout()
    return user, IdentityVerification.objects.get(user=user)


@STRIPE
def test_stripe_reading_a_minors_birth_date_rejects_and_marks_the_minor(client, fake_stripe):
    user, verification = _submitted(client)
    fake_stripe.verified_dob = {"day": 1, "month": 1, "year": 2015}
    event = _event("identity.verification_session.verified", verification_id=verification.pk)
    assert _post_event(client, event).status_code == 200
    verification.refresh_from_db()
    user.refresh_from_db()
    assert verification.state == "rejected"
    assert user.is_minor and not can(user, "buy")


@STRIPE
def test_stripe_reading_another_birth_date_than_declared_rejects(client, fake_stripe):
    user, verification = _submitted(client)
    fake_stripe.verified_dob = {"day": 15, "month": 3, "year": 1990}
    event = _event("identity.verification_session.verified", verification_id=verification.pk)
    assert _post_event(client, event).status_code == 200
    verification.refresh_from_db()
    user.refresh_from_db()
    assert verification.state == "rejected"
    assert "does not match" in verification.decision_reason
    assert not user.is_minor


@STRIPE
def test_stripe_reading_the_declared_adult_birth_date_approves(client, fake_stripe):
    user, verification = _submitted(client)
    fake_stripe.verified_dob = {"day": 14, "month": 3, "year": 1990}
    event = _event("identity.verification_session.verified", verification_id=verification.pk)
    assert _post_event(client, event).status_code == 200
    verification.refresh_from_db()
    assert verification.state == "verified"
    assert any("expand" in call[1] for call in fake_stripe.calls if call[0] == "get")


@STRIPE
@pytest.mark.parametrize("dob", [{"day": 31, "month": 2, "year": 1990}, "1990-03-14", {"y": 1}])
def test_an_unreadable_date_from_stripe_is_ignored_not_a_500(client, fake_stripe, dob):
    _user, verification = _submitted(client)
    fake_stripe.verified_dob = dob
    event = _event("identity.verification_session.verified", verification_id=verification.pk)
    assert _post_event(client, event).status_code == 200
    verification.refresh_from_db()
    assert verification.state == "verified"


@STRIPE
def test_a_key_not_allowed_to_read_the_birth_date_still_gets_the_verdict(client, fake_stripe):
    _user, verification = _submitted(client)
    fake_stripe.refuse_expand = True
    event = _event("identity.verification_session.verified", verification_id=verification.pk)
    assert _post_event(client, event).status_code == 200
    verification.refresh_from_db()
    assert verification.state == "verified"  # the declared (adult) date was checked
