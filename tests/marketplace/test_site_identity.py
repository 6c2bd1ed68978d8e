"""E-mails name the site and its address (never Django's "example.com"), and the
payment e-mail does not promise an attachment it does not have."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sites.models import Site
from django.core import mail
from django.test import override_settings
from django.utils import translation

from escrow.notifications import MESSAGES
from marketplace.sites import sync_site

pytestmark = pytest.mark.django_db


def test_the_site_row_follows_the_settings_after_migrate():
    site = Site.objects.get(pk=settings.SITE_ID)
    assert (site.name, site.domain) == (settings.SITE_NAME, settings.SITE_DOMAIN)
    assert "example.com" not in (site.name, site.domain)


def test_a_changed_setting_reaches_the_site_row():
    with override_settings(SITE_NAME="Handoff Asia", SITE_DOMAIN="asia.handoff.test"):
        sync_site()
        assert Site.objects.get_current().domain == "asia.handoff.test"
    sync_site()


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_sign_up_confirmation_names_the_site_and_its_address(client, lang):
    client.cookies["django_language"] = lang
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.org",
            "password1": "a-long-pass-1234",
            "password2": "a-long-pass-1234",
        },
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    text = message.subject + message.body
    assert "example.com" not in text
    assert settings.SITE_NAME in text and settings.SITE_DOMAIN in text
    assert message.subject.startswith(f"[{settings.SITE_NAME}] ")
    if lang == "zh-hans":  # allauth's own greeting is half English ("来自…的 Hello!")
        assert f"您好，这里是 {settings.SITE_NAME}！" in message.body
        assert "Hello" not in message.body


def test_payment_message_does_not_claim_an_attachment():
    for lang in ("en", "zh-hans"):
        with translation.override(lang):
            text = str(MESSAGES["paid_buyer"])
        assert "attached" not in text and "附后" not in text


@pytest.mark.parametrize(
    "template",
    [
        "accounts/email/verification_approved_body.txt",
        "accounts/email/verification_rejected_body.txt",
        "accounts/email/verification_revoked_body.txt",
        "accounts/email/verification_reminder_body.txt",
        "accounts/email/verification_expired_body.txt",
        "escrow/email/notification.txt",
    ],
)
def test_our_e_mails_sign_with_the_sites_name_and_address(template):
    from types import SimpleNamespace

    from django.template.loader import render_to_string

    context = {
        "user": SimpleNamespace(public_name="Lin"),
        "verification": SimpleNamespace(document_last4="1234", reason="blurry", decision_reason=""),
        "text": "Deal 7 was paid.",
        "url": "https://acme.test/deals/7/",
        "receipt": False,
        "deal": SimpleNamespace(pk=7),
        "site_url": "https://acme.test",
    }
    with override_settings(SITE_NAME="Acme Accounts", SITE_URL="https://acme.test"):
        text = render_to_string(template, context)
    assert text.rstrip().endswith("— Acme Accounts · https://acme.test")
