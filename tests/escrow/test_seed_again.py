"""Seeding the demo again (``make run`` a second time) tells the README's story
again: deadlines re-based on the clock, a deal awaiting payment, the example search
finding its listing, a rejected applicant left rejected, a catalogue with a second
page reached by the cursor."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from accounts import seed as accounts_seed
from accounts import services as accounts_services
from accounts.models import IdentityVerification
from escrow import seed as escrow_seed
from escrow import services
from escrow.models import Deal, DealEvent
from listings import seed as listings_seed
from listings.models import Listing

pytestmark = pytest.mark.django_db(transaction=True)


def _seed(listings=12) -> dict:
    context: dict = {}
    for module in (accounts_seed, listings_seed, escrow_seed):
        module.seed(context=context, options={"listings": listings}, out=io.StringIO())
    return context


def _demo(state):
    return Deal.objects.get(policy_note=escrow_seed.DEMO_NOTE, state=state)


def _seeded_earlier(by: timedelta) -> None:
    """As if the last seeding had happened ``by`` ago (the clock moved on)."""
    ids = list(Deal.objects.filter(policy_note=escrow_seed.DEMO_NOTE).values_list("pk", flat=True))
    Deal.objects.filter(pk__in=ids).update(**{f: F(f) - by for f in escrow_seed.TIMELINE[Deal]})
    DealEvent.objects.filter(deal_id__in=ids).update(
        created_at=F("created_at") - by, due_at=F("due_at") - by
    )


def test_seeding_again_moves_the_demo_deadlines_to_the_clock():
    context = _seed()
    # the README's logins: the released deal (and its payout) is the second seller's
    assert _demo("RELEASED").seller == context["seller2"]
    assert _demo("PENDING_PAYMENT").seller in (context["seller"], context["seller2"])
    _seeded_earlier(timedelta(minutes=40))  # deal #1's 30-minute window has passed
    assert _demo("PENDING_PAYMENT").due_at < timezone.now()

    _seed()
    now = timezone.now()
    pending = _demo("PENDING_PAYMENT")
    assert now + settings.PAYMENT_WINDOW - timedelta(minutes=1) < pending.due_at
    assert pending.due_at <= now + settings.PAYMENT_WINDOW
    funded = _demo("FUNDED")
    assert abs(funded.funded_at - (now - timedelta(hours=5))) < timedelta(minutes=1)
    assert funded.events.order_by("-pk").first().due_at == funded.due_at
    released = _demo("RELEASED")  # released by the first seeding's job run: moved too
    assert abs(released.released_at - now) < timedelta(minutes=1)
    assert released.funded_at < now - settings.PROTECTION_WINDOW

    # Idempotent: at once again, nothing moves.
    before = pending.due_at
    _seed()
    assert abs(_demo("PENDING_PAYMENT").due_at - before) < timedelta(seconds=30)
    assert Deal.objects.filter(state="PENDING_PAYMENT").count() == 1


def test_a_demo_deal_the_job_expired_is_replaced_by_a_fresh_one():
    _seed()
    pending = _demo("PENDING_PAYMENT")
    services.expire_deal(deal_id=pending.pk, now=pending.due_at + timedelta(seconds=1))
    assert not Deal.objects.filter(state="PENDING_PAYMENT").exists()

    _seed()
    fresh = _demo("PENDING_PAYMENT")
    assert fresh.pk != pending.pk
    assert Deal.objects.get(pk=pending.pk).state == "CANCELLED"  # history is not undone
    assert fresh.due_at > timezone.now() + settings.PAYMENT_WINDOW - timedelta(minutes=1)


def test_the_readme_search_finds_the_listing_it_names(client):
    _seed()
    _seed()
    example = Listing.objects.get(title=listings_seed.SEARCH_EXAMPLE_TITLE)
    assert example.state == "PUBLISHED"
    assert not example.deals.exists()
    found = client.get("/listings/", {"q": "美妆"}).context["page_obj"].listings
    assert example.pk in [listing.pk for listing in found]


def test_a_rejected_applicant_is_not_put_back_in_the_queue():
    context = _seed()
    applicant = context["applicant"]
    waiting = IdentityVerification.objects.get(user=applicant, state="pending")
    accounts_services.reject_verification(
        verification_id=waiting.pk, actor=context["moderator"], reason="Blurry photo."
    )
    _seed()
    assert not IdentityVerification.objects.filter(user=applicant, state="pending").exists()
    assert IdentityVerification.objects.filter(user=applicant).count() == 1


def test_the_default_demo_catalogue_has_a_second_page_reached_by_the_cursor(client):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    page = client.get("/listings/")
    assert page.context["page_obj"].has_next
    html = page.content.decode()
    assert 'rel="next"' in html and "after=" in html
    second = client.get("/listings/", {"after": page.context["page_obj"].next_cursor, "page": 2})
    assert second.context["page_obj"].listings
    text = out.getvalue()
    for email in (
        "buyer@demo.handoff.test",
        "seller@demo.handoff.test",
        "seller2@demo.handoff.test",
        "applicant@demo.handoff.test",
        "moderator@demo.handoff.test",
        "moderator2@demo.handoff.test",
        "admin@demo.handoff.test",
    ):
        assert email in text
    assert accounts_seed.DEMO_TOTP_SECRET in text and "Both moderators" in text
