"""Deal pages tell the truth for the deal's state: /deals/ newest first with its
date; no "Pay within …" once a deal is cancelled; the handle note per state;
times "ago". Moderators: an appeal of one's own decision is not in one's queue
and its form is refused before it is filled in; the identity queue's
instruction matches what it shows."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from escrow import services
from governance import services as governance
from tests.accounts.identity_helpers import moderator
from tests.factories import ListingFactory, VerifiedUserFactory
from tests.totp import force_login_with_second_factor

from .conftest import open_and_pay

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def test_my_deals_lists_newest_first_with_the_date_opened(client, buyer, now):
    seller = VerifiedUserFactory()
    old = services.open_deal(
        buyer=buyer, listing_id=ListingFactory(seller=seller).pk, now=now - timedelta(days=3)
    )
    new = services.open_deal(buyer=buyer, listing_id=ListingFactory(seller=seller).pk, now=now)
    middle = services.open_deal(
        buyer=buyer, listing_id=ListingFactory(seller=seller).pk, now=now - timedelta(days=1)
    )
    client.force_login(buyer)
    page = _page(client.get("/deals/"))
    order = [int(n) for n in re.findall(r'href="/deals/(\d+)/">#', page)]
    assert order == [new.pk, middle.pk, old.pk]
    assert "Opened" in page and 'data-label="State"' in page and 'data-label="Deadline"' in page


def test_a_cancelled_deal_no_longer_asks_to_pay(client, buyer, listing, now):
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    client.force_login(buyer)
    assert "Pay within the payment window" in _page(client.get("/deals/"))
    services.cancel_deal(deal_id=deal.pk, buyer=buyer, now=now)
    page = _page(client.get("/deals/"))
    assert "Pay within the payment window" not in page
    assert "was cancelled" in page
    detail = _page(client.get(f"/deals/{deal.pk}/"))
    assert "Pay within" not in detail and "Go to payment" not in detail
    assert "cancelled before payment, so the handle is not shown" in detail


def test_a_refunded_deal_does_not_promise_the_handle(client, buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    services.refund_undelivered(deal_id=deal.pk, now=now + timedelta(days=30))
    deal.refresh_from_db()
    assert deal.state == "REFUNDED"
    client.force_login(buyer)
    page = _page(client.get(f"/deals/{deal.pk}/"))
    assert "The handle is shown once the deal is paid." not in page
    assert "The deal was refunded, so the handle is not shown." in page


def test_notification_times_say_ago(client, buyer, listing, now):
    services.open_deal(buyer=buyer, listing_id=listing.pk, now=timezone.now())
    client.force_login(buyer)
    page = _page(client.get("/deals/"))
    assert re.search(r"<time[^>]*>(now|\d+ (second|minute)s? ago)</time>", page), page[-3000:]


def test_own_decision_appeals_are_not_in_the_moderators_queue(client):
    mod, mod2 = moderator(display_name="Mod One"), moderator(display_name="Mod Two")
    seller = VerifiedUserFactory()
    case = governance.open_moderator_case(
        moderator=mod, subject=seller, rule="BEH-11", details="seen", now=timezone.now()
    )
    violation = governance.confirm_report(
        report_id=case.pk, moderator=mod, facts="Edited screenshot.", now=timezone.now()
    )
    appeal = governance.file_appeal(
        user=seller, violation_id=violation.pk, text="not forged", now=timezone.now()
    )

    def queue_count(user) -> int:
        force_login_with_second_factor(client, user)
        page = _page(client.get("/admin/"))
        match = re.search(r'href="/admin/governance/appeal/\?to_decide=me"[^>]*>.*?(\d+)', page)
        assert match, "the appeals queue links to the moderator's own filter"
        return int(match.group(1))

    assert queue_count(mod) == 0
    listing_page = _page(client.get("/admin/governance/appeal/?to_decide=me"))
    assert f"/admin/governance/appeal/{appeal.pk}/change/" not in listing_page
    change = _page(client.get(f"/admin/governance/appeal/{appeal.pk}/change/"))
    assert "Decide…" not in change and "another moderator must decide the appeal" in change
    response = client.get(f"/admin/governance/appeal/{appeal.pk}/decide/", follow=True)
    assert 'name="reason"' not in _page(response)  # refused before the form is filled in
    assert queue_count(mod2) == 1
    assert f"/admin/governance/appeal/{appeal.pk}/change/" in _page(
        client.get("/admin/governance/appeal/?to_decide=me")
    )


def test_the_identity_queue_asks_only_for_what_it_shows():
    from pathlib import Path

    template = Path("accounts/templates/admin/accounts/identityverification/change_form.html")
    text = template.read_text(encoding="utf-8")
    assert "declared name, number and date of birth" not in text
    assert "ends in the four characters shown" in text
