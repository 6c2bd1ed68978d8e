"""The release job in batches (``services.release_due_deals``): the same rows as
``release_deal`` one at a time, bounded batches, nothing released twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail

from accounts.models import Standing
from escrow import ledger, services, tasks
from escrow.models import Deal, DealEvent, LedgerEntry, Notification, Payout, SimTransfer
from escrow.notifications import send_due_emails
from listings.exceptions import IllegalTransition as ListingIllegalTransition
from listings.models import Listing, ListingEvent
from tests.factories import ListingFactory, VerifiedUserFactory

from .conftest import accepted_deal, after_protection

pytestmark = pytest.mark.django_db


def _deal(now, *, price=150_000):
    listing = ListingFactory(seller=VerifiedUserFactory(), price=price, platform="youtube")
    return accepted_deal(VerifiedUserFactory(), listing, now)


def _standings(deal):
    seller = Standing.objects.get(user_id=deal.seller_id)
    buyer = Standing.objects.get(user_id=deal.buyer_id)
    return {
        "seller": (seller.deals_ended, seller.completed_sales, seller.median_release_seconds),
        "buyer": (buyer.completed_purchases,),
    }


def _what_release_wrote(deal, before):
    """Everything a release leaves behind, with this deal's own ids taken out."""
    deal.refresh_from_db()
    listing = Listing.objects.get(pk=deal.listing_id)
    payout = Payout.objects.get(deal=deal)
    last_listing_event = ListingEvent.objects.filter(listing=listing).latest("id")
    return {
        "deal": (deal.state, deal.released_at, deal.closed_at, deal.due_at),
        "events": [
            (e.from_state, e.to_state, e.kind, e.actor_id, e.reason, e.due_at, e.created_at)
            for e in DealEvent.objects.filter(deal=deal, kind="released")
        ],
        "ledger": sorted(
            (e.transaction.kind, e.account, e.amount, e.currency)
            for e in LedgerEntry.objects.filter(
                deal=deal, transaction__reference=f"release:deal:{deal.pk}"
            ).select_related("transaction")
        ),
        "payout": (
            payout.seller_id == deal.seller_id,
            payout.amount,
            payout.currency,
            payout.provider,
            payout.idempotency_key == f"payout-{deal.pk}",
            payout.status,
            payout.next_attempt_at,
        ),
        "listing": (
            listing.state,
            last_listing_event.from_state,
            last_listing_event.to_state,
            last_listing_event.reason == f"deal {deal.pk} released",
            last_listing_event.created_at,
        ),
        "notifications": sorted(
            (
                n.kind,
                "buyer" if n.user_id == deal.buyer_id else "seller",
                n.created_at,
                n.read_at,
                n.email_state,  # the outbox: the batch writes them by INSERT … SELECT
                n.email_due_at is not None,
                n.email_attempts,
                n.email_receipt,
            )
            for n in Notification.objects.filter(deal=deal, kind__startswith="released")
        ),
        "standing_change": {
            role: tuple(
                (after - old) if i < 2 or role == "buyer" else after
                for i, (after, old) in enumerate(zip(values, before[role], strict=True))
            )
            for role, values in _standings(deal).items()
        },
    }


def test_a_batch_writes_exactly_what_release_deal_writes_one_at_a_time(now):
    one, batched = _deal(now), _deal(now)
    later = after_protection(now)
    before_one, before_batched = _standings(one), _standings(batched)

    services.release_deal(deal_id=one.pk, now=later)
    assert services.release_due_deals(now=later, limit=10) == [batched.pk]

    by_one = _what_release_wrote(one, before_one)
    by_batch = _what_release_wrote(batched, before_batched)
    assert by_batch == by_one
    # and what that is: released now, booked, a payout due, the listing sold
    assert by_batch["deal"] == ("RELEASED", later, later, None)
    assert [kind for kind, *_ in by_batch["notifications"]] == ["released_buyer", "released_seller"]
    assert by_batch["standing_change"]["seller"][:2] == (1, 1)
    assert by_batch["standing_change"]["seller"][2] is not None  # the median, in seconds
    assert by_batch["standing_change"]["buyer"] == (1,)
    assert ledger.unbalanced_transactions() == []
    assert sum(ledger.trial_balance().values()) == 0


def test_batches_are_bounded_and_a_deal_is_released_once(now):
    due = [_deal(now) for _ in range(3)]
    not_yet = _deal(now + timedelta(days=30))
    watched = _deal(now)
    watched.watched_since = now
    watched.save(update_fields=["watched_since"])
    later = after_protection(now)

    first = services.release_due_deals(now=later, limit=2)
    second = services.release_due_deals(now=later, limit=2)
    third = services.release_due_deals(now=later, limit=2)

    assert len(first) == 2 and len(second) == 1 and third == []
    assert sorted(first + second) == sorted(d.pk for d in due)
    for deal in (not_yet, watched):
        deal.refresh_from_db()
        assert deal.state == "ACCEPTED"
    assert DealEvent.objects.filter(kind="released").count() == 3
    assert Payout.objects.count() == 3
    assert ledger.unbalanced_transactions() == []
    assert sum(ledger.trial_balance().values()) == 0


def test_the_job_loops_over_batches_until_nothing_is_due(now, monkeypatch):
    deals = [_deal(now) for _ in range(5)]
    monkeypatch.setattr(tasks, "RELEASE_BATCH", 2)  # three batches: 2, 2, 1

    assert tasks.release_after_protection(now=after_protection(now).isoformat()) == 5

    states = Deal.objects.filter(pk__in=[d.pk for d in deals]).values_list("state", flat=True)
    assert list(states) == ["RELEASED"] * 5
    assert tasks.release_after_protection(now=after_protection(now).isoformat()) == 0


def test_a_deal_whose_listing_is_not_reserved_still_fails_loudly(now):
    """An inconsistency is not swallowed by the batch: the deal goes through
    ``release_deal``, which refuses a listing that cannot be sold."""
    good, odd = _deal(now), _deal(now)
    Listing.objects.filter(pk=odd.listing_id).update(state=Listing.State.REMOVED)

    with pytest.raises(ListingIllegalTransition):
        services.release_due_deals(now=after_protection(now), limit=10)

    good.refresh_from_db()
    odd.refresh_from_db()
    assert good.state == "RELEASED"  # the batch committed before the odd one was tried
    assert odd.state == "ACCEPTED"


def test_the_release_emails_reach_buyer_and_seller(now):
    deal = _deal(now)
    Notification.objects.update(email_state="sent")  # the steps before, e-mailed
    mail.outbox.clear()
    services.release_due_deals(now=after_protection(now), limit=10)
    released = Notification.objects.filter(deal=deal, kind__startswith="released")
    assert set(released.values_list("email_state", flat=True)) == {"pending"}

    assert send_due_emails() == (2, 0)

    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == sorted([deal.buyer.email, deal.seller.email])
    assert all(f"#{deal.pk}" in message.subject for message in mail.outbox)


def test_a_chunk_of_payouts_is_paid_once_even_when_its_task_runs_twice(now):
    from escrow.gateways.simulated import provider_totals

    from .conftest import connect_seller

    # The task pays at the real time: the deals were accepted long enough ago.
    accepted = now - settings.PROTECTION_WINDOW - timedelta(days=2)
    deals = [_deal(accepted) for _ in range(3)]
    for deal in deals:
        connect_seller(deal.seller)
    services.release_due_deals(now=now, limit=10)
    ids = list(Payout.objects.filter(deal__in=deals).values_list("pk", flat=True))

    assert tasks.execute_payouts_task(ids) == 3
    tasks.execute_payouts_task(ids)  # redelivered (acks_late): nothing more is sent

    assert set(Payout.objects.values_list("status", flat=True)) == {Payout.Status.PAID}
    assert SimTransfer.objects.count() == 3
    assert provider_totals()["transferred"] == sum(d.price for d in deals)


def test_a_sellers_median_release_time_is_the_middle_of_their_released_deals(now):
    """Whole seconds from payment to release; of an even count, the mean of the
    middle two rounded down (PostgreSQL computes it in one aggregate)."""
    odd, even = VerifiedUserFactory(), VerifiedUserFactory()
    durations = {odd: [40, 10.9, 21.9], even: [10.9, 21.9, 40.9, 100.5]}
    for seller, seconds in durations.items():
        for duration in seconds:
            listing = ListingFactory(seller=seller)
            deal = accepted_deal(VerifiedUserFactory(), listing, now)
            services.release_deal(deal_id=deal.pk, now=after_protection(now))
            Deal.objects.filter(pk=deal.pk).update(
                funded_at=now, released_at=now + timedelta(seconds=duration)
            )
    other = _deal(now)  # accepted, not released: not counted

    medians = services.median_release_seconds([odd.pk, even.pk, other.seller_id])

    assert medians == {odd.pk: 21, even.pk: 30}  # floors 10, 21, 40 | (21 + 40) // 2


@pytest.mark.django_db(transaction=True)
def test_a_batch_refreshes_the_listing_pages_showing_its_sellers_standing(client, settings, now):
    from django.core.cache import cache
    from django.urls import reverse

    from listings import fragments

    settings.FRAGMENT_CACHE = True
    cache.clear()
    deal = _deal(now)
    on_sale = ListingFactory(seller_id=deal.seller_id, title="Another of theirs")

    def kept(listing):
        key = fragments.detail_key(listing.pk)
        return fragments.lookup_listing(key, listing.pk)[1] is not None

    client.get(reverse("listings:detail", args=[on_sale.pk]))
    assert kept(on_sale)
    services.release_due_deals(now=after_protection(now), limit=10)
    # The seller's standing (completed sales) was written in bulk, without a signal.
    assert not kept(on_sale)
    page = client.get(reverse("listings:detail", args=[on_sale.pk])).content.decode()
    assert Standing.objects.get(user_id=deal.seller_id).completed_sales == 1
    assert "<dt>Completed sales</dt><dd>1</dd>" in page
    cache.clear()


def test_a_batch_makes_the_standing_a_user_lacks_and_counts_the_sale(now):
    deal, other = _deal(now), _deal(now)
    Standing.objects.filter(user_id=deal.seller_id).delete()  # made at sign-up; gone here
    later = after_protection(now)

    assert sorted(services.release_due_deals(now=later, limit=10)) == sorted([deal.pk, other.pk])

    made = Standing.objects.get(user_id=deal.seller_id)
    assert (made.completed_sales, made.deals_ended) == (1, 1)
    kept = Standing.objects.get(user_id=other.seller_id)
    assert kept.completed_sales >= 1
    assert Standing.objects.get(user_id=deal.buyer_id).completed_purchases >= 1
