"""Escrow's side of governance: payout holds from ``payouts_held_until``, deals
under watch when a listing is removed or a seller banned or frozen (unpaid deals
cancelled, buyer offered a refund, payouts held), and escrow events fed to the
transaction rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from escrow import services, tasks
from escrow.exceptions import NotAllowed, NotWatched
from escrow.models import Deal, Payout, Refund
from governance import services as gov
from governance.models import Report
from listings import services as listing_services
from tests.factories import ListingFactory, VerifiedUserFactory

from .conftest import accepted_deal, after_protection, connect_seller, open_and_pay
from .protection_helpers import make_moderator

S = Deal.State


def _freeze(user, moderator, now):
    report = gov.open_moderator_case(
        moderator=moderator, subject=user, rule="TRX-03", details="stolen back", now=now
    )
    gov.freeze_user(report_id=report.pk, moderator=moderator, reason="precaution", now=now)
    return report


def test_a_governance_hold_stops_the_payout_job_and_it_runs_after_the_hold_ends(
    buyer, listing, now, django_capture_on_commit_callbacks
):
    seller = listing.seller
    connect_seller(seller)
    deal = accepted_deal(buyer, listing, now)
    later = after_protection(now)
    services.release_deal(deal_id=deal.pk, now=later)  # payout created, not yet sent
    moderator = make_moderator()
    with django_capture_on_commit_callbacks(execute=True):
        report = _freeze(seller, moderator, later)
    tasks.execute_due_payouts(now=later.isoformat())
    payout = Payout.objects.get(deal=deal)
    assert payout.status == Payout.Status.HELD
    tasks.execute_due_payouts(now=(later + timedelta(hours=2)).isoformat())
    assert Payout.objects.get(pk=payout.pk).status == Payout.Status.HELD  # still frozen
    # the case is decided: the freeze ends, the next run pays (held, never confiscated)
    gov.dismiss_report(report_id=report.pk, moderator=moderator, reason="not proven", now=later)
    tasks.execute_due_payouts(now=(later + timedelta(hours=4)).isoformat())
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID and payout.amount == deal.price


def test_removed_listing_cancels_unpaid_deals_and_watches_funded_ones(
    buyer, seller, now, django_capture_on_commit_callbacks
):
    unpaid_listing = ListingFactory(seller=seller)
    funded_listing = ListingFactory(seller=seller)
    unpaid = services.open_deal(buyer=buyer, listing_id=unpaid_listing.pk, now=now)
    funded = open_and_pay(VerifiedUserFactory(), funded_listing, now)
    with django_capture_on_commit_callbacks(execute=True):
        listing_services.remove_listing(actor=None, listing_id=unpaid_listing.pk, reason="LST-01")
        listing_services.remove_listing(actor=None, listing_id=funded_listing.pk, reason="LST-01")
    unpaid.refresh_from_db()
    funded.refresh_from_db()
    assert unpaid.state == S.CANCELLED
    assert funded.state == S.FUNDED and funded.watched_since is not None
    assert funded.events.last().kind == "watched"


def test_buyer_of_a_watched_deal_gets_a_refund_button(client, buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    services.watch_deal(deal_id=deal.pk, reason="seller banned", now=now)
    client.force_login(buyer)
    page = client.get(reverse("escrow:detail", args=[deal.pk])).content.decode()
    assert "Refund me" in page
    client.post(reverse("escrow:request_refund", args=[deal.pk]))
    deal.refresh_from_db()
    assert deal.state == S.REFUNDED
    assert Refund.objects.get(deal=deal).amount == deal.total


def test_refund_of_a_watched_deal_by_a_moderator_and_refusals(buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    moderator = make_moderator()
    with pytest.raises(NotWatched):
        services.refund_watched_deal(deal_id=deal.pk, actor=buyer, now=now)
    services.watch_deal(deal_id=deal.pk, reason="listing removed", now=now)
    with pytest.raises(NotAllowed):
        services.refund_watched_deal(deal_id=deal.pk, actor=deal.seller, now=now)
    with pytest.raises(NotAllowed):
        services.refund_watched_deal(deal_id=deal.pk, actor=VerifiedUserFactory(), now=now)
    assert Deal.objects.get(pk=deal.pk).state == S.FUNDED
    services.refund_watched_deal(deal_id=deal.pk, actor=moderator, reason="banned", now=now)
    assert Deal.objects.get(pk=deal.pk).state == S.REFUNDED


def test_a_watched_accepted_deal_is_not_released_until_the_watch_ends(buyer, listing, now):
    connect_seller(listing.seller)
    deal = accepted_deal(buyer, listing, now)
    services.watch_deal(deal_id=deal.pk, reason="seller frozen", now=now)
    later = after_protection(now)
    tasks.release_after_protection(now=later.isoformat())
    assert Deal.objects.get(pk=deal.pk).state == S.ACCEPTED
    services.end_deal_watch(
        deal_id=deal.pk, moderator=make_moderator(), reason="cleared", now=later
    )
    tasks.release_after_protection(now=later.isoformat())
    assert Deal.objects.get(pk=deal.pk).state == S.RELEASED


def test_frozen_seller_unpaid_deals_cancelled_funded_watched(
    buyer, seller, now, django_capture_on_commit_callbacks
):
    listing_a, listing_b = ListingFactory(seller=seller), ListingFactory(seller=seller)
    unpaid = services.open_deal(buyer=buyer, listing_id=listing_a.pk, now=now)
    funded = open_and_pay(VerifiedUserFactory(), listing_b, now)
    with django_capture_on_commit_callbacks(execute=True):
        _freeze(seller, make_moderator(), now)
    assert Deal.objects.get(pk=unpaid.pk).state == S.CANCELLED
    assert Deal.objects.get(pk=funded.pk).watched_since is not None


def test_missed_delivery_deadline_feeds_trx01_without_sanctioning(buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    late = now + settings.DELIVERY_DEADLINE + timedelta(minutes=1)
    tasks.refund_undelivered_deals(now=late.isoformat())
    assert Deal.objects.get(pk=deal.pk).state == S.REFUNDED
    report = Report.objects.get(rule__code="TRX-01")
    assert report.accused_id == deal.seller_id and report.confidence == 100
    from governance.models import Sanction

    assert not Sanction.objects.exists()
