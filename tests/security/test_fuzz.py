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
