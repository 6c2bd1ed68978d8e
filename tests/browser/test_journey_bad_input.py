"""Bad input, in a real Chromium: each main form, sent empty and then with wrong
values, shows its errors beside the fields (aria-invalid, aria-describedby pointing
at the visible message) and keeps what was typed, except passwords and files."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escrow import services as escrow_services
from escrow.models import DealMessage, Dispute
from governance import services as governance
from governance.registry import report_url
from tests.accounts.identity_helpers import moderator
from tests.browser.journey_helpers import login, logout, new_page, png_file, shot
from tests.escrow.conftest import hand_over, open_and_pay
from tests.factories import ListingFactory, UserFactory, VerifiedUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def submit(page, form="main form:has(button[type=submit])"):
    page.locator(form).last.locator("button[type=submit]").first.click()
    page.wait_for_load_state()


def expect_error(page, field_id: str, text: str | None = None):
    """The field is marked invalid and described by a visible error message."""
    field = page.locator(f"#{field_id}")
    expect(field).to_have_attribute("aria-invalid", "true")
    described = field.get_attribute("aria-describedby") or ""
    assert f"{field_id}_error" in described.split(), (field_id, described)
    message = page.locator(f"#{field_id}_error")
    expect(message).to_be_visible()
    if text:
        expect(message).to_contain_text(text)


def test_main_forms_show_errors_beside_fields_and_keep_input(live_server, browser):
    base = live_server.url
    now = timezone.now()
    page = new_page(browser, "en")

    # --- sign-up
    page.goto(base + "/accounts/signup/")
    submit(page)
    expect_error(page, "id_email")
    expect_error(page, "id_password1")
    page.locator("#id_email").fill("not-an-email")
    page.locator("#id_password1").fill("Blue-Kite-Harbour-42")
    page.locator("#id_password2").fill("something-else-42")
    submit(page)
    expect_error(page, "id_email")
    expect(page.locator("#id_email")).to_have_value("not-an-email")
    expect(page.locator("#id_password1")).to_have_value("")
    shot(page, "signup-errors")

    # --- login
    user = UserFactory(display_name="New Person")
    page.goto(base + "/accounts/login/")
    submit(page)
    expect_error(page, "id_login")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill("wrong password")
    submit(page)
    expect(page.locator("main .alert-error")).to_be_visible()
    expect(page.locator("#id_login")).to_have_value(user.email)
    expect(page.locator("#id_password")).to_have_value("")

    # --- identity verification
    login(page, base, user.email)
    page.goto(base + "/verify/")
    submit(page)
    for field in ("id_legal_name", "id_document_number", "id_date_of_birth"):
        expect_error(page, field)
    page.locator("#id_legal_name").fill("Li Hua")
    page.locator("#id_document_type").select_option("cn_resident_id")
    page.locator("#id_document_number").fill("110101199003141234")
    page.locator("#id_date_of_birth").fill((dt.date.today() + dt.timedelta(days=3)).isoformat())
    page.locator("#id_country").select_option("CN")
    page.locator("#id_document_image").set_input_files(files=[png_file("id.png")])
    submit(page)
    expect_error(page, "id_date_of_birth")
    expect(page.locator("#id_legal_name")).to_have_value("Li Hua")
    shot(page, "verify-errors")
    logout(page, base)

    # --- listing steps (account, offer, screenshots)
    seller = VerifiedUserFactory(display_name="Lin Studio")
    login(page, base, seller.email)
    page.goto(base + "/sell/new/")
    submit(page)
    expect_error(page, "id_handle")
    page.get_by_label("Platform").select_option("youtube")
    page.locator("#id_handle").fill("@my_channel")
    page.locator("#id_niche").fill("cooking")
    page.locator("#id_follower_count").fill("-5")
    submit(page)
    expect_error(page, "id_follower_count")
    expect(page.locator("#id_handle")).to_have_value("@my_channel")
    expect(page.locator("#id_niche")).to_have_value("cooking")
    shot(page, "listing-step-errors")
    page.locator("#id_follower_count").fill("5000")
    submit(page)
    page.locator("#id_title").fill("Cooking channel")
    page.locator("#id_price").fill("-3")
    submit(page)
    expect_error(page, "id_price")
    expect(page.locator("#id_title")).to_have_value("Cooking channel")
    page.locator("#id_price").fill("300")
    page.locator("#id_description").fill("Weekly recipes.")
    submit(page)
    page.locator("#id_image").set_input_files(
        files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"not an image"}]
    )
    page.locator("#id_caption").fill("Analytics")
    page.get_by_role("button", name="Upload").click()
    expect_error(page, "id_image")
    expect(page.locator("#id_caption")).to_have_value("Analytics")
    logout(page, base)

    # --- the payment card form
    buyer = VerifiedUserFactory(display_name="Buyer Bo")
    listing = ListingFactory(seller=seller, price=50_000)
    deal = escrow_services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    escrow_services.acknowledge_transfer_policy(
        deal_id=deal.pk, buyer=buyer, note="policy", now=now
    )
    login(page, base, buyer.email)
    page.goto(f"{base}/deals/{deal.pk}/pay/")
    submit(page, "form.escrow-card-form")
    expect_error(page, "id_number")
    expect_error(page, "id_exp")
    page.locator("#id_number").fill("4242 4242 4242 4242")
    page.locator("#id_exp").fill("13/99")
    page.locator("#id_cvc").fill("123")
    submit(page, "form.escrow-card-form")
    expect_error(page, "id_exp")
    expect(page.locator("#id_exp")).to_have_value("13/99")
    shot(page, "card-errors")
    logout(page, base)

    # --- the handover form
    funded = open_and_pay(buyer, ListingFactory(seller=seller, price=40_000), now)
    login(page, base, seller.email)
    page.goto(f"{base}/deals/{funded.pk}/handover/")
    submit(page)
    expect_error(page, "id_login")
    expect_error(page, "id_password")
    page.locator("#id_login").fill("owner@example.com")
    page.locator("#id_password").fill("s3cret-pass")
    submit(page)
    expect(page.locator("main [aria-invalid=true]").first).to_be_visible()
    expect(page.locator("#id_login")).to_have_value("owner@example.com")
    expect(page.locator("#id_password")).to_have_value("")
    shot(page, "handover-errors")
    logout(page, base)

    # --- the deal chat (htmx swaps the form back in) and, without JS, its own page
    delivered = open_and_pay(buyer, ListingFactory(seller=seller, price=30_000), now)
    hand_over(delivered, now)
    login(page, base, buyer.email)
    page.goto(f"{base}/deals/{delivered.pk}/")
    submit(page, "form.chat-form")
    expect_error(page, "id_body", "Write a message or attach a file.")
    page.locator("#id_body").fill("Here are the analytics you asked for.")
    page.locator("#id_attachment").set_input_files(
        files=[{"name": "stats.png", "mimeType": "image/png", "buffer": b"not an image"}]
    )
    submit(page, "form.chat-form")
    expect_error(page, "id_attachment")
    expect(page.locator("#id_body")).to_have_value("Here are the analytics you asked for.")
    expect(page.locator("#id_attachment")).to_have_value("")
    shot(page, "chat-errors")
    assert not DealMessage.objects.filter(deal=delivered).exists()
    no_js = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    plain = no_js.new_page()
    login(plain, base, buyer.email, next_url=f"/deals/{delivered.pk}/messages/")
    plain.locator("#id_body").fill("Typed without JavaScript.")
    plain.locator("#id_attachment").set_input_files(
        files=[{"name": "stats.png", "mimeType": "image/png", "buffer": b"not an image"}]
    )
    submit(plain, "form.chat-form")
    expect_error(plain, "id_attachment")
    expect(plain.locator("#id_body")).to_have_value("Typed without JavaScript.")
    no_js.close()

    # --- the dispute form
    page.goto(f"{base}/deals/{delivered.pk}/dispute/")
    submit(page)
    expect_error(page, "id_statement")
    page.locator("#id_statement").fill("The channel has 4,000 subscribers, not 12,000.")
    page.locator("#id_evidence").set_input_files(
        files=[{"name": "proof.png", "mimeType": "image/png", "buffer": b"not an image"}]
    )
    submit(page)
    expect_error(page, "id_evidence", "proof.png")
    expect(page.locator("#id_statement")).to_have_value(
        "The channel has 4,000 subscribers, not 12,000."
    )
    expect(page.locator("#id_evidence")).to_have_value("")
    shot(page, "dispute-errors")
    assert not Dispute.objects.filter(deal=delivered).exists()
    logout(page, base)

    # --- report and appeal
    mod = moderator(display_name="Mod")
    login(page, base, buyer.email)
    page.goto(base + report_url(seller))
    submit(page)
    expect_error(page, "id_rule")
    expect_error(page, "id_details")
    page.locator("#id_details").fill("short")
    submit(page)
    expect_error(page, "id_details")
    expect(page.locator("#id_details")).to_have_value("short")
    shot(page, "report-errors")
    logout(page, base)

    case = governance.open_moderator_case(
        moderator=mod, subject=seller, rule="BEH-11", details="seen", now=now
    )
    violation = governance.confirm_report(
        report_id=case.pk, moderator=mod, facts="Edited screenshot.", now=now
    )
    login(page, base, seller.email)
    page.goto(f"{base}/standing/decisions/{violation.pk}/appeal/")
    submit(page)
    expect_error(page, "id_text")
    page.context.close()
