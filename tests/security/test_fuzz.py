"""Input fuzzing: hypothesis submissions to every form and POST endpoint, signed in
as a user allowed to post there, through a client that enforces CSRF (with a valid
token) — random unicode, huge strings, control characters, wrong types, missing,
duplicated and unknown fields. Never a 500; a refused submission (the form shown
again) writes nothing.

Budget: ``FUZZ_EXAMPLES`` per endpoint (env ``HANDOFF_FUZZ_EXAMPLES``, default 25),
so the suite runs in about a minute on 2 cores; each example is rolled back
(``hypothesis.extra.django.TestCase``).
"""

from __future__ import annotations

import json
import os

from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from . import figures
from .access import diff, fingerprint

FUZZ_EXAMPLES = int(os.environ.get("HANDOFF_FUZZ_EXAMPLES", "25"))

CONTROL = "".join(chr(c) for c in range(0, 32)) + "\x7f\u200b\u202e\ufeff\ud7ff"
nasty_text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.sampled_from(CONTROL + "<>\"'&;%{}"), max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "A" * 100_000,
            "美妆" * 5_000,
            "<script>alert(1)</script>",
            "'; DROP TABLE accounts_user; --",
            "{{ settings.SECRET_KEY }}",
            "../../etc/passwd",
            "%00",
            "\x00",
            "-1",
            "0",
            "9" * 40,
            "1e309",
            "NaN",
            "true",
            "null",
            "[]",
            "2024-02-30",
            "https://evil.example/",
            "//evil.example",
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def submissions(fields: dict[str, list[str]]):
    """A POST body: each known field missing, one value or duplicated, valid-looking
    or nasty; sometimes unknown fields too."""

    def field_value(valid):
        return st.one_of(st.sampled_from(valid) if valid else nasty_text, nasty_text)

    def one(name, valid):
        return st.one_of(
            st.just(None),  # missing
            field_value(valid).map(lambda v: [v]),
            st.lists(field_value(valid), min_size=2, max_size=3),  # duplicated
        ).map(lambda values: (name, values))

    known = st.tuples(*[one(n, v) for n, v in fields.items()]) if fields else st.just(())
    extra = st.dictionaries(st.text(min_size=1, max_size=12), nasty_text, max_size=2)

    def build(pair):
        parts, unknown = pair
        data = {name: values for name, values in parts if values is not None}
        for key, value in unknown.items():
            if key not in fields and key != "csrfmiddlewaretoken":
                data[key] = [value]
        return data

    return st.tuples(known, extra).map(build)


_counts = {"ran": 0, "validated": 0, "failed": 0}


def _teardown_module_counts():
    figures.record(
        "fuzz",
        checked=_counts["ran"],
        failed=_counts["failed"],
        validated=_counts["validated"],
    )
    for key in _counts:
        _counts[key] = 0


@override_settings(ACCOUNT_RATE_LIMITS_ENABLED=False, ACCOUNT_RATE_LIMITS=False)
class FuzzForms(TestCase):
    """One test per endpoint; the world is built once per test (rolled back after)."""

    @classmethod
    def tearDownClass(cls):
        _teardown_module_counts()
        super().tearDownClass()

    def setUp(self):
        from .world import build_world

        self.world = build_world()
        self._clients = {}

    def client_as(self, role: str) -> Client:
        if role not in self._clients:
            client = Client(enforce_csrf_checks=True)
            user = self.world.users.get(role) if role != "newcomer" else self.world["unverified"]
            if user is not None:
                client.force_login(user)
            client.get("/accounts/login/" if user is None else "/me/")  # sets the CSRF cookie
            self._clients[role] = client
        return self._clients[role]

    def submit(self, role: str, url: str, data: dict):
        client = self.client_as(role)
        token = client.cookies["csrftoken"].value
        before = fingerprint()
        response = client.post(url, {**data, "csrfmiddlewaretoken": token})
        _counts["ran"] += 1
        if response.status_code != 403:
            _counts["validated"] += 1
        problems = []
        if response.status_code >= 500:
            problems.append(f"HTTP {response.status_code}")
        location = response.get("Location", "")
        if "evil.example" in location or location.startswith("//"):
            problems.append(f"open redirect to {location}")
        if response.status_code in (200, 400, 403, 404, 405, 429):
            # The simulated provider's own rows (escrow.sim*) stand for the outside
            # provider's state (an idempotent payment intent), not our records.
            changed = [
                k
                for k in diff(before, fingerprint())
                if not k.startswith(("account.", "escrow.sim"))
            ]
            if changed:
                problems.append(f"refused but wrote {changed}")
        if problems:
            _counts["failed"] += 1
        assert not problems, f"POST {url} {data!r}: {problems}"

    # ------------------------------------------------------------- endpoints

    def _fuzz(self, role, url_of, fields):
        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(submissions(fields))
        def run(data):
            self.submit(role, url_of(self.world), data)

        run()

    def test_profile(self):
        self._fuzz("buyer", lambda w: "/me/", {"display_name": ["Bob B"]})

    def test_verify(self):
        self._fuzz(
            "newcomer",
            lambda w: "/verify/",
            {
                "legal_name": ["Li Hua"],
                "document_type": ["passport", "cn_resident_id", "other"],
                "document_number": ["E12345678"],
                "date_of_birth": ["1990-03-14", "2015-01-01"],
                "country": ["CN", "GB"],
                "action": ["continue"],
            },
        )

    def test_report(self):
        self._fuzz(
            "buyer",
            lambda w: f"/report/{w['ct_listing'].pk}/{w.pk('listing_published')}/",
            {"rule": [], "details": ["The seller asked me to pay outside the site."]},
        )

    def test_appeal(self):
        self._fuzz(
            "party",
            lambda w: f"/standing/decisions/{w.pk('violation')}/appeal/",
            {"text": ["I did not break this rule, here is why."]},
        )

    def test_listing_create(self):
        self._fuzz(
            "seller",
            lambda w: "/sell/new/",
            {
                "platform": ["youtube", "douyin", "nope"],
                "handle": ["@handle"],
                "niche": ["gaming"],
                "follower_count": ["1000"],
                "avg_views": ["10"],
                "avg_likes": ["1"],
                "audience_region": ["na", "cn"],
                "monetised": ["on"],
                "monthly_revenue": ["12.50"],
                "account_created_on": ["2020-01-01"],
                "action": ["save", "next"],
            },
        )

    def test_listing_offer(self):
        self._fuzz(
            "party",
            lambda w: f"/sell/{w.pk('listing_draft')}/offer/",
            {"title": ["A title"], "description": ["Words."], "price": ["1500", "0.01"]},
        )

    def test_listing_screenshots_and_review(self):
        self._fuzz(
            "party",
            lambda w: f"/sell/{w.pk('listing_draft')}/screenshots/",
            {"caption": ["stats"], "action": ["next", "upload"], "image": []},
        )

    def test_checkout_pay(self):
        self._fuzz(
            "buyer",
            lambda w: f"/deals/{w.pk('deal_pending')}/pay/",
            {
                "step": ["acknowledge", "card"],
                "acknowledge": ["on"],
                "number": ["4242 4242 4242 4242", "4000 0000 0000 0002"],
                "exp": ["12/34", "13/99"],
                "cvc": ["123"],
            },
        )

    def test_handover(self):
        self._fuzz(
            "party",
            lambda w: f"/deals/{w.pk('deal_funded')}/handover/",
            {
                "login": ["owner@example.com"],
                "password": ["pw"],
                "recovery": [""],
                "notes": [""],
                "check_email": ["on"],
                "check_2fa": ["on"],
            },
        )

    def test_buy_and_deal_actions(self):
        self._fuzz("third", lambda w: f"/listings/{w.pk('listing_published')}/buy/", {})

    def test_signup(self):
        self._fuzz(
            "anon",
            lambda w: "/accounts/signup/",
            {
                "email": ["new@example.com", "user1@example.com"],
                "password1": ["correct-horse-battery"],
                "password2": ["correct-horse-battery"],
            },
        )

    def test_login(self):
        self._fuzz(
            "anon",
            lambda w: "/accounts/login/",
            {"login": ["user1@example.com"], "password": ["wrong"], "remember": ["on"]},
        )

    def test_password_reset(self):
        self._fuzz("anon", lambda w: "/accounts/password/reset/", {"email": ["a@example.com"]})

    def test_set_language(self):
        self._fuzz(
            "anon",
            lambda w: "/i18n/setlang/",
            {"language": ["en", "zh-hans"], "next": ["/listings/", "https://evil.example/"]},
        )


# ------------------------------------------------------------------ webhooks

#: Raw JSON put in place of these markers after encoding: what json.dumps cannot write.
RAW_TOKENS = {
    "\x01big\x01": "1e400",
    "\x01negbig\x01": "-1e400",
    "\x01nan\x01": "NaN",
    "\x01inf\x01": "Infinity",
    "\x01huge\x01": "9" * 400,
    "\x01surrogate\x01": '"\\ud800"',
    "\x01nul\x01": '"evt_\\u0000"',
}
EVENT_TYPES = [
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "charge.refunded",
    "refund.created",
    "charge.dispute.created",
    "charge.dispute.closed",
    "transfer.created",
    "transfer.reversed",
    "account.updated",
]
webhook_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(
        ["A" * 2_000, "evt\x00x", "x" * 300, "usd", "USD", "€€€", "abc", "1e400", "lost"]
    ),
    st.sampled_from(list(RAW_TOKENS)),
)
webhook_value = st.recursive(
    webhook_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def webhook_events(object_ids: list[str]):
    """A signed-looking Stripe event: known keys with right-ish or nasty values,
    some missing, some of the wrong JSON type."""

    def maybe(key, strategy):
        return st.one_of(st.just(None), strategy.map(lambda v: (key, v)))

    fields = st.tuples(
        maybe("id", st.one_of(st.sampled_from(object_ids or ["pi_x"]), webhook_value)),
        maybe(
            "object",
            st.one_of(
                st.sampled_from(
                    ["payment_intent", "dispute", "refund", "charge", "transfer", "account"]
                ),
                webhook_value,
            ),
        ),
        maybe("amount", st.one_of(st.integers(min_value=0, max_value=10**6), webhook_value)),
        maybe("currency", st.one_of(st.just("usd"), webhook_value)),
        maybe("status", st.one_of(st.sampled_from(["succeeded", "lost", "won"]), webhook_value)),
        maybe("payment_intent", st.one_of(st.sampled_from(object_ids or ["pi_x"]), webhook_value)),
        maybe("metadata", st.one_of(st.just({"payment_id": "1", "refund_id": "1"}), webhook_value)),
        maybe(
            "balance_transactions",
            st.one_of(st.just([{"fee": 1500}]), st.lists(webhook_value, max_size=2)),
        ),
        maybe("last_payment_error", webhook_value),
        maybe("amount_refunded", webhook_value),
        maybe("payouts_enabled", webhook_value),
    )
    event = st.fixed_dictionaries(
        {},
        optional={
            "id": st.one_of(
                st.text(alphabet="abcdef_0123", min_size=1, max_size=12).map(lambda s: "evt_" + s),
                webhook_value,
            ),
            "type": st.one_of(st.sampled_from(EVENT_TYPES), webhook_value),
            "data": st.one_of(
                fields.map(lambda pairs: {"object": dict(p for p in pairs if p)}), webhook_value
            ),
        },
    )
    return event


def _encode(event) -> bytes:
    body = json.dumps(event)
    for marker, raw in RAW_TOKENS.items():
        body = body.replace(json.dumps(marker), raw)
    return body.encode()


_webhook_counts = {"ran": 0, "failed": 0}


class FuzzWebhooks(TestCase):
    """Correctly signed but hostile provider events at ``/webhooks/stripe/``: the
    parser validates them at the edge. Never a 500; every answer is 400 or 200;
    no money moves (ledger, deal and payment states unchanged)."""

    @classmethod
    def tearDownClass(cls):
        figures.record(
            "webhook-fuzz", checked=_webhook_counts["ran"], failed=_webhook_counts["failed"]
        )
        _webhook_counts.update(ran=0, failed=0)
        super().tearDownClass()

    def setUp(self):
        from escrow.models import Payment

        from .world import build_world

        self.world = build_world()
        self.refs = [r for r in Payment.objects.values_list("provider_ref", flat=True) if r]

    def post_signed(self, body: bytes, signature: str):
        before = fingerprint()
        problems = []
        try:
            response = Client().post(
                "/webhooks/stripe/",
                body,
                content_type="application/json",
                headers={"Stripe-Signature": signature},
            )
            if response.status_code not in (200, 400):
                problems.append(f"HTTP {response.status_code}")
        except Exception as exc:  # noqa: BLE001 - a 500 in the test client raises
            problems.append(f"raised {type(exc).__name__}: {exc}")
        changed = [
            k
            for k in diff(before, fingerprint())
            if not k.startswith(("escrow.webhookevent", "escrow.sim", "escrow.notification"))
        ]
        if changed:
            problems.append(f"changed {changed}")
        _webhook_counts["ran"] += 1
        if problems:
            _webhook_counts["failed"] += 1
        assert not problems, f"{body[:300]!r}: {problems}"

    def _fuzz(self, sign_body):
        @settings(
            max_examples=FUZZ_EXAMPLES * 4,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(webhook_events(self.refs))
        def run(event):
            body = _encode(event)
            self.post_signed(body, sign_body(body))

        run()

    def test_simulated_gateway_events(self):
        from escrow.gateways.simulated import sign

        self._fuzz(sign)

    def test_stripe_gateway_events(self):
        import hashlib
        import hmac
        import time

        secret = "whsec_fuzz"

        def stripe_sign(body: bytes) -> str:
            timestamp = int(time.time())
            mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
            return f"t={timestamp},v1={mac.hexdigest()}"

        # Stripe itself is not reachable here: an event that passes validation and
        # names one of our payments waits for it (200); the rest is refused (400).
        with override_settings(
            PAYMENT_GATEWAY="escrow.gateways.stripe.StripeGateway",
            STRIPE_SECRET_KEY="sk_test_fuzz",
            STRIPE_WEBHOOK_SECRET=secret,
            STRIPE_API_BASE="http://127.0.0.1:9",
        ):
            self.refs = ["pi_not_ours", "dp_not_ours"]
            self._fuzz(stripe_sign)

    def test_the_issues_cases(self):
        """The outside test's examples, each exactly."""
        from escrow.gateways.simulated import sign

        ref = self.refs[0]
        cases = [
            b'{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":'
            b'{"id":"%s","object":"payment_intent","amount":1e400}}}' % ref.encode(),
            json.dumps(
                {
                    "id": "e" * 2_000,
                    "type": "payment_intent.succeeded",
                    "data": {"object": {"id": ref}},
                }
            ).encode(),
            json.dumps({"id": "evt_2", "type": "t" * 2_000, "data": {"object": {}}}).encode(),
            json.dumps(
                {"id": "evt_\x00", "type": "charge.refunded", "data": {"object": {}}}
            ).encode(),
            json.dumps({"id": "evt_3", "type": "charge.\x00", "data": {"object": {}}}).encode(),
            json.dumps(
                {
                    "id": "evt_4",
                    "type": "charge.dispute.created",
                    "data": {
                        "object": {
                            "id": "dp_1",
                            "object": "dispute",
                            "payment_intent": ref,
                            "amount": 100,
                            "balance_transactions": [{"fee": "fifteen"}],
                        }
                    },
                }
            ).encode(),
        ]
        for body in cases:
            self.post_signed(body, sign(body))
