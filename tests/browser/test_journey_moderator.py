"""The moderator's working day in the admin, in a real Chromium: log in with a
password and a TOTP code, see the queues first (counts of what waits), approve a
verification, approve a listing, decide a dispute with a split (both parties then see
the decision, the ledger shows it), confirm a report and decide an appeal."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from accounts.models import IdentityVerification
from escrow import ledger, services
from escrow.models import Account, Deal, Dispute, LedgerTransaction, Refund
from governance import services as governance
from governance.models import Appeal, Report
from kernel.money import format_money
from listings.models import Listing
from tests.accounts.identity_helpers import moderator, submit
from tests.browser.journey_helpers import login, login_moderator, new_page, shot
from tests.escrow.conftest import connect_seller, hand_over, open_and_pay
from tests.factories import ListingFactory, UserFactory, VerifiedUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_moderator_works_the_queues(live_server, browser):
    base = live_server.url
    now = timezone.now()
    mod = moderator(display_name="First Moderator")
    other_mod = moderator(display_name="Second Moderator")
    applicant = UserFactory(display_name="Applicant")
    verification = submit(applicant)
    seller = VerifiedUserFactory(display_name="Quick Seller")
    listing = ListingFactory(
        seller=seller,
        title="Cooking channel awaiting review",
        state="PENDING_REVIEW",
        submitted_at=now,
        ownership_code="HO-7KQ2",
    )
    reporter = UserFactory(display_name="Careful Buyer")
    report = governance.file_report(
        reporter=reporter,
        subject=seller,
        rule="BEH-11",
        details="The screenshot sent in our dispute was edited: the dates are wrong.",
        now=now,
    )
    # An earlier decision by the other moderator, appealed by the sanctioned user.
    sanctioned = VerifiedUserFactory(display_name="Sanctioned Seller")
    earlier = governance.open_moderator_case(
        moderator=other_mod, subject=sanctioned, rule="BEH-11", details="seen", now=now
    )
    violation = governance.confirm_report(
        report_id=earlier.pk, moderator=other_mod, facts="Edited screenshot.", now=now
    )
    governance.file_appeal(
        user=sanctioned,
        violation_id=violation.pk,
        text="The screenshot is genuine; my phone was set to another time zone.",
        now=now,
    )
    # A handed-over deal the buyer disputes.
    disputing_buyer = VerifiedUserFactory(display_name="Buyer Bo")
    connect_seller(seller)
    deal = open_and_pay(
        disputing_buyer,
        ListingFactory(seller=seller, title="Retro gaming channel", price=150_000),
        now,
    )
    hand_over(deal, now)
    dispute = services.open_dispute(
        deal_id=deal.pk,
        user=disputing_buyer,
        statement="The channel has about 4,000 subscribers, not 12,000 as listed.",
        now=now,
    )
    page = new_page(browser, "en")

    # --- MFA login; the index opens on the queues with their counts
    login_moderator(page, base, mod.email)
    expect(page.get_by_role("heading", name="What waits for you")).to_be_visible()
    expect(page.get_by_test_id("queue-verifications")).to_have_text("1")
    expect(page.get_by_test_id("queue-listings")).to_have_text("1")
    expect(page.get_by_test_id("queue-reports")).to_have_text("1")
    expect(page.get_by_test_id("queue-disputes")).to_have_text("1")
    expect(page.get_by_test_id("queue-appeals")).to_have_text("1")
    shot(page, "admin-queues")

    # --- approve the verification
    page.locator("[data-queue=verifications] a").click()
    page.get_by_role("link", name=applicant.email).click()
    page.locator("#id_reason").fill("Photo matches the declared details.")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".messagelist")).to_contain_text("Verification approved")
    verification.refresh_from_db()
    assert verification.state == IdentityVerification.State.VERIFIED

    # --- approve the listing (ownership code first)
    page.goto(base + "/admin/")
    page.locator("[data-queue=listings] a").click()
    page.get_by_role("link", name="Cooking channel awaiting review").click()
    expect(page.get_by_text("HO-7KQ2")).to_be_visible()
    page.get_by_role("button", name="Mark ownership proven").click()
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_text("Listing approved and published.")).to_be_visible()
    listing.refresh_from_db()
    assert listing.state == Listing.State.PUBLISHED

    # --- decide the dispute with a split: a wrong sum is refused, then the right one
    held = ledger.escrow_balance(Deal.objects.get(pk=deal.pk))
    buyer_share = held // 2
    seller_share = held - buyer_share
    page.goto(base + "/admin/")
    page.locator("[data-queue=disputes] a").click()
    page.get_by_role("link", name=str(dispute.pk), exact=True).first.click()
    expect(page.get_by_text("not 12,000 as listed")).to_be_visible()
    page.get_by_label("Split: enter both shares").check()
    page.get_by_label("Buyer's share (minor units, e.g. cents)").fill(str(buyer_share))
    page.get_by_label("Seller's share (minor units, e.g. cents)").fill(str(seller_share + 1))
    page.get_by_label("Reason (both parties see it)").fill("Shares that do not add up.")
    page.get_by_role("button", name="Record the decision").click()
    # Refused beside the buyer's share, with the reason as typed (issue 22).
    expect(page.locator(".form-row:has(#id_buyer_amount) .errorlist")).to_be_visible()
    expect(page.locator("#id_reason")).to_have_value("Shares that do not add up.")
    assert Dispute.objects.get(pk=dispute.pk).is_open  # refused, nothing written
    assert not LedgerTransaction.objects.filter(reference=f"split:dispute:{dispute.pk}").exists()
    page.get_by_label("Split: enter both shares").check()
    page.get_by_label("Buyer's share (minor units, e.g. cents)").fill(str(buyer_share))
    page.get_by_label("Seller's share (minor units, e.g. cents)").fill(str(seller_share))
    page.get_by_label("Reason (both parties see it)").fill(
        "Half of the subscribers were lost in a platform purge before the sale; the loss is shared."
    )
    shot(page, "admin-dispute")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("The case was decided.")).to_be_visible()
    expect(page.locator("#ledger")).to_contain_text(f"split:dispute:{dispute.pk}")
    # The ledger shows money with its currency, not minor units.
    with translation.override("en"):
        seller_money = format_money(seller_share, deal.currency)
    expect(page.locator("#ledger")).to_contain_text(seller_money)
    deal.refresh_from_db()
    assert deal.state == Deal.State.SPLIT
    split = LedgerTransaction.objects.get(reference=f"split:dispute:{dispute.pk}")
    assert sum(e.amount for e in split.entries.all()) == 0
    assert Refund.objects.get(deal=deal).amount == buyer_share
    # The seller's share is owed to them (a worker may already be paying it out).
    payable = [e for e in split.entries.all() if e.account == Account.SELLER_PAYABLE]
    assert -sum(e.amount for e in payable) == seller_share

    # --- both parties see the decision, its reason and the shares
    for party in (disputing_buyer, seller):
        party_page = new_page(browser, "en")
        login(party_page, base, party.email, next_url=f"/deals/{deal.pk}/")
        decision = party_page.get_by_test_id("decision")
        expect(decision).to_contain_text("Split between buyer and seller")
        expect(decision).to_contain_text("the loss is shared")
        expect(decision).to_contain_text("US$")
        expect(party_page.locator(".escrow-state")).to_contain_text("Split")
        party_page.context.close()

    # --- claim and confirm the report
    page.goto(base + "/admin/")
    page.locator("[data-queue=reports] a").click()
    page.get_by_role("link", name=str(report.pk), exact=True).click()
    page.get_by_role("button", name="Claim").click()
    page.get_by_role("link", name="Confirm…").click()
    page.locator("#id_facts").fill(
        "The dispute screenshot was edited: its dates contradict the deal."
    )
    page.get_by_role("button", name="Confirm violation").click()
    expect(page.get_by_text("1 case(s) confirmed.")).to_be_visible()
    report.refresh_from_db()
    assert report.status == Report.Status.CONFIRMED

    # --- decide the appeal against the other moderator's decision
    page.goto(base + "/admin/")
    page.locator("[data-queue=appeals] a").click()
    page.locator("#result_list tbody a").first.click()
    page.get_by_role("link", name="Decide…").click()
    page.get_by_label("Reject").check()
    page.get_by_label("Reason (shown to the user)").fill(
        "The file's metadata shows it was edited after the deal."
    )
    page.get_by_role("button", name="Decide appeal").click()
    expect(page.get_by_text("The appeal was decided.")).to_be_visible()
    assert Appeal.objects.get().status == Appeal.Status.REJECTED

    # --- the queues are empty now
    page.goto(base + "/admin/")
    for key in ("verifications", "listings", "reports", "disputes", "appeals"):
        expect(page.get_by_test_id(f"queue-{key}")).to_have_text("0")
    page.context.close()
