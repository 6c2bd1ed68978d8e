"""Headers and deployment, abuse limits, and data kept out of pages and logs.

- Every main page carries the CSP header and has no inline ``<script>`` (without
  ``src``) and no ``style=`` attribute; production settings switch on HSTS, secure
  cookies, ``X-Frame-Options: DENY`` and a referrer policy.
- Login, sign-up, reports, verification submissions and checkout are rate-limited:
  the limited request gets the 429 page.
- With DEBUG off, a 500 page shows nothing of the error; identity numbers and
  credentials never reach the logs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import path

from tests.factories import TEST_PASSWORD, UserFactory
from tests.totp import force_login_with_second_factor

from .world import build_world

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTR = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


def _pages(w):
    return {
        "anon": [
            "/",
            "/listings/",
            f"/listings/{w.pk('listing_published')}/",
            "/accounts/login/",
            "/accounts/signup/",
            "/accounts/password/reset/",
            "/transparency/",
        ],
        "buyer": [
            "/me/",
            "/verify/",
            "/deals/",
            f"/deals/{w.pk('deal_funded')}/",
            f"/deals/{w.pk('deal_pending')}/pay/",
            "/standing/",
            "/reports/mine/",
            "/payouts/",
            "/sell/",
            "/sell/new/",
            f"/report/{w['ct_listing'].pk}/{w.pk('listing_published')}/",
        ],
        "party": [
            f"/sell/{w.pk('listing_draft')}/account/",
            f"/sell/{w.pk('listing_draft')}/screenshots/",
            f"/sell/{w.pk('listing_draft')}/review/",
            f"/deals/{w.pk('deal_funded')}/handover/",
            f"/standing/statements/{w.pk('statement')}/",
        ],
    }


def test_main_pages_have_csp_and_no_inline_script_or_style():
    w = build_world()
    problems = []
    for role, urls in _pages(w).items():
        client = Client()
        if w.users[role] is not None:
            force_login_with_second_factor(client, w.users[role])
        for url in urls:
            response = client.get(url)
            if response.status_code != 200:
                problems.append(f"{url} as {role}: {response.status_code}")
                continue
            csp = response.get("Content-Security-Policy", "")
            if "script-src" not in csp or "'unsafe-inline'" in csp:
                problems.append(f"{url}: CSP header missing or allows inline script: {csp!r}")
            html = response.content.decode()
            if m := INLINE_SCRIPT.search(html):
                problems.append(f"{url}: inline script {m.group(0)!r}")
            if m := STYLE_ATTR.search(html):
                problems.append(f"{url}: style attribute {m.group(0)[:80]!r}")
            if response.get("X-Frame-Options") != "DENY":
                problems.append(f"{url}: X-Frame-Options {response.get('X-Frame-Options')!r}")
            if response.get("Referrer-Policy") != "same-origin":
                problems.append(f"{url}: Referrer-Policy {response.get('Referrer-Policy')!r}")
            if response.get("X-Content-Type-Options") != "nosniff":
                problems.append(f"{url}: X-Content-Type-Options missing")
    assert not problems, "\n".join(problems)


def test_production_settings_switch_on_transport_security():
    env = {
        **os.environ,
        "HANDOFF_ENV": "production",
        "HANDOFF_READ_DOTENV": "0",
        "DEBUG": "false",
        "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "handoff.example",
        "FIELD_ENCRYPTION_KEYS": "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=",
        "DOCUMENT_HASH_KEY": "document-hash-key-for-the-test",
        "PAYMENT_GATEWAY": "escrow.gateways.stripe.StripeGateway",
        "STRIPE_SECRET_KEY": "sk_test_x",
        "STRIPE_WEBHOOK_SECRET": "whsec_x",
    }
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ['SECURE_HSTS_SECONDS', "
        "'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SESSION_COOKIE_HTTPONLY', 'X_FRAME_OPTIONS', 'SECURE_REFERRER_POLICY', "
        "'SECURE_SSL_REDIRECT', 'DEBUG', 'SECURE_CONTENT_TYPE_NOSNIFF']}))"
    )
    env["DJANGO_SETTINGS_MODULE"] = "marketplace.settings"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=BASE_DIR, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    values = json.loads(out.stdout.strip().splitlines()[-1])
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SECURE_SSL_REDIRECT"] is True and values["DEBUG"] is False


# ------------------------------------------------------------------- limits


def _is_429_page(response) -> bool:
    return response.status_code == 429 and b"Slow down a little" in response.content


@override_settings(ACCOUNT_RATE_LIMITS_ENABLED=True)
def test_login_and_signup_are_rate_limited_with_the_429_page(client):
    user = UserFactory()
    failed = [
        client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
        for _ in range(6)
    ]
    # Per account: after 5 failures even the right password is refused for a while.
    right = client.post("/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    assert (
        right.status_code in (200, 429)
        and b"Too many failed login attempts" in (right.content)
        or _is_429_page(right)
    ), [r.status_code for r in failed]
    assert "_auth_user_id" not in client.session
    # Per address: a flood of attempts gets the 429 page.
    flood = [
        client.post("/accounts/login/", {"login": f"x{i}@example.com", "password": "w"})
        for i in range(35)
    ]
    assert any(_is_429_page(r) for r in flood), [r.status_code for r in flood]
    other = Client()
    signups = [
        other.post(
            "/accounts/signup/",
            {"email": f"s{i}@example.com", "password1": "x", "password2": "y"},
        )
        for i in range(25)
    ]
    assert any(_is_429_page(r) for r in signups)


@override_settings(ACCOUNT_RATE_LIMITS_ENABLED=True)
def test_reports_and_verification_submissions_are_rate_limited(settings):
    settings.SITE_RATE_LIMITS = {
        **settings.SITE_RATE_LIMITS,
        "report": "3/h",
        "verification": "3/h",
    }
    w = build_world()
    client = Client()
    client.force_login(w.users["third"])
    url = f"/report/{w['ct_listing'].pk}/{w.pk('listing_published')}/"
    responses = [client.post(url, {"rule": "", "details": "too short"}) for _ in range(4)]
    assert [r.status_code for r in responses[:3]] == [200, 200, 200]
    assert _is_429_page(responses[3])
    newcomer = Client()
    newcomer.force_login(w["unverified"])
    responses = [newcomer.post("/verify/", {"legal_name": "x"}) for _ in range(4)]
    assert _is_429_page(responses[3])


@override_settings(ACCOUNT_RATE_LIMITS_ENABLED=True)
def test_checkout_is_rate_limited(settings):
    settings.SITE_RATE_LIMITS = {**settings.SITE_RATE_LIMITS, "checkout": "2/h"}
    w = build_world()
    client = Client()
    client.force_login(w.users["third"])
    url = f"/listings/{w.pk('listing_draft')}/buy/"  # not on sale: refused, nothing written
    responses = [client.post(url) for _ in range(3)]
    assert [r.status_code for r in responses[:2]] == [302, 302]
    assert _is_429_page(responses[2])


# ------------------------------------------------------------ private data

DOCUMENT_NUMBER = "P98765432"


def boom(request):
    raise ValueError(f"document {DOCUMENT_NUMBER} password s3cret-of-the-account")


urlpatterns = [path("boom/", boom)]
handler500 = "marketplace.views.error_500"


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_a_500_page_shows_nothing_of_the_error():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    for secret in (DOCUMENT_NUMBER, "s3cret-of-the-account", "ValueError", "Traceback"):
        assert secret not in body


def test_identity_numbers_and_credentials_never_reach_the_logs(caplog, settings):
    settings.ACCOUNT_RATE_LIMITS_ENABLED = False
    caplog.set_level("DEBUG")
    w = build_world()  # submits, approves, hands over credentials, pays, releases
    from accounts.models import IdentityVerification

    numbers = [v.document_number for v in IdentityVerification.objects.all()]
    # Error paths: a duplicate document number, a refused handover, a bad webhook.
    client = Client()
    client.force_login(w["unverified"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .test_uploads import png_bytes

    client.post(
        "/verify/",
        {
            "legal_name": "Copy Cat",
            "document_type": "passport",
            "document_number": numbers[0],
            "date_of_birth": "1990-01-01",
            "country": "GB",
            "document_image": SimpleUploadedFile("d.png", png_bytes(), "image/png"),
        },
    )
    client.post(
        "/webhooks/stripe/",
        "{}",
        content_type="application/json",
        headers={"Stripe-Signature": "t=1,v1=00"},
    )
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    for number in numbers:
        assert number not in text, "a full document number was logged"
    for secret in ("s3cret-pass-of-the-account", "another-s3cret"):
        assert secret not in text, "a handed-over password was logged"
    # At rest: encrypted columns hold Fernet tokens, never the plain value.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT document_number FROM accounts_identityverification")
        stored = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT password, login FROM escrow_handover")
        creds = [value for row in cursor.fetchall() for value in row]
    assert stored and all(s.startswith("gAAAA") for s in stored)
    assert creds and all(c.startswith("gAAAA") for c in creds)
