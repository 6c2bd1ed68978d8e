"""Demo deals for ``manage.py seed_demo``: one in every state, built through the
services (idempotent: made once, when the demo buyer has no demo deals).

Seeding again re-bases them on the clock: every demo deal's times move by the time
since the last seeding, so deal #1 still has its whole payment window and the
others stay where the story puts them (paid 5 hours ago, released 3 days ago …).
A demo deal the jobs moved on meanwhile (the payment window ran out) is not undone;
a fresh one awaiting payment takes its place. The listing README.md's example search
names is never used, so it stays on sale.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from listings.exceptions import ListingNotAvailable
from listings.models import Listing
from listings.seed import SEARCH_EXAMPLE_TITLE

from . import services
from .checklists import checklist_for
from .exceptions import EscrowError
from .models import Chargeback, Deal, DealEvent, DealMessage, Dispute, Payment, Payout, Refund

DEMO_NOTE = "[demo] transfer policy acknowledged"
CARD = {"number": "4242424242424242", "exp": "12/34", "cvc": "123"}
TARGETS = [
    "PENDING_PAYMENT",
    "CANCELLED",
    "FUNDED",
    "DELIVERED",
    "ACCEPTED",
    "RELEASED",
    "REFUNDED",
]


def _paid(buyer, listing, now):
    deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    services.acknowledge_transfer_policy(deal_id=deal.pk, buyer=buyer, note=DEMO_NOTE, now=now)
    services.pay_deal(deal_id=deal.pk, buyer=buyer, card=CARD, now=now)
    return deal


def _handed_over(deal, now):
    services.hand_over(
        deal_id=deal.pk,
        seller=deal.seller,
        login="demo-login@example.com",
        password="demo-password-123",  # noqa: S106 - demo data, not a real secret
        notes="Demo handover: these are not real credentials.",
        checklist=[key for key, _label in checklist_for(deal.listing.platform)],
        now=now,
    )


def _until(step, deal, state: str, tries: int = 50) -> None:
    """Run a job step until the deal reaches ``state``. The steps lock with SKIP
    LOCKED (jobs leave a busy row for the next run); a worker applying the
    provider's payment event may hold the deal row for a moment."""
    import time

    for _ in range(tries):
        step()
        if Deal.objects.filter(pk=deal.pk, state=state).exists():
            return
        time.sleep(0.1)


DISPUTE_STATEMENT = (
    "[demo] The channel has about 4,000 subscribers, not the 12,000 in the listing, "
    "and the analytics screenshot shows it."
)


def seed_cases(*, buyer, out) -> None:
    """An open dispute (with chat and an answer) and a chargeback, for a moderator
    to work on. Idempotent: skipped once the demo dispute exists."""
    from escrow import services
    from escrow.gateways import get_gateway
    from escrow.gateways.simulated import SimulatedGateway
    from escrow.models import Dispute, SimEvent
    from escrow.simulated_delivery import deliver_event

    if Dispute.objects.filter(statement=DISPUTE_STATEMENT).exists():
        return
    listings = list(
        Listing.objects.filter(state=Listing.State.PUBLISHED)
        .exclude(seller=buyer)
        .exclude(title=SEARCH_EXAMPLE_TITLE)
        .order_by("-pk")[:2]
    )
    if len(listings) < 2:
        out.write("Escrow: not enough published listings for the demo dispute; skipped.")
        return
    now = timezone.now()
    start = now - timedelta(days=1)
    disputed = _paid(buyer, listings[0], start)
    _handed_over(disputed, start + timedelta(hours=2))
    services.post_message(
        deal_id=disputed.pk,
        author=buyer,
        body="The subscriber count is much lower than listed. Can you explain?",
        now=start + timedelta(hours=3),
    )
    services.post_message(
        deal_id=disputed.pk,
        author=disputed.seller,
        body="It dropped after a purge last week. Message me on WeChat vx 13812345678.",
        now=start + timedelta(hours=4),
    )
    dispute = services.open_dispute(
        deal_id=disputed.pk, user=buyer, statement=DISPUTE_STATEMENT, now=start + timedelta(hours=5)
    )
    services.answer_dispute(
        dispute_id=dispute.pk,
        user=disputed.seller,
        statement="[demo] The count was right when I listed it; the platform removed inactive accounts.",
        now=start + timedelta(hours=6),
    )
    made = ["an open dispute"]
    gateway = get_gateway()
    if isinstance(gateway, SimulatedGateway):
        charged = _paid(buyer, listings[1], start)
        _handed_over(charged, start + timedelta(hours=1))
        charged.refresh_from_db()
        ref = Payment.objects.get(deal=charged).provider_ref
        gateway.open_chargeback(payment_ref=ref, now=now)
        for event in SimEvent.objects.filter(type="charge.dispute.created").order_by("-created_at")[
            :1
        ]:
            deliver_event(event.pk)
        made.append("a chargeback")
    out.write(f"Escrow: {' and '.join(made)} for a moderator (admin → Escrow → Disputes).")


def seed(*, context: dict, options: dict, out) -> None:
    buyer = context.get("buyer")
    if buyer is not None:
        buyer.refresh_from_db()  # verification changed it after it was put in context
    if buyer is None:
        return
    if Deal.objects.filter(buyer=buyer, policy_note=DEMO_NOTE).exists():
        seed_cases(buyer=buyer, out=out)
        now = timezone.now()
        moved = rebase_demo_deals(buyer=buyer, now=now)
        reopened = _reopen_awaiting_payment(buyer=buyer, context=context, now=now)
        out.write(
            f"Escrow: demo deals re-based on the clock (moved {_ago(moved)})"
            + (f"; deal #{reopened} awaits payment." if reopened else ".")
        )
        return
    sellers = [context[k] for k in ("seller", "seller2") if k in context]
    published = (
        Listing.objects.filter(state=Listing.State.PUBLISHED)
        .exclude(seller=buyer)
        .exclude(title=SEARCH_EXAMPLE_TITLE)
    )
    own = list(published.filter(seller__in=sellers).order_by("pk")[: len(TARGETS)])
    others = list(published.exclude(seller__in=sellers).order_by("pk")[: len(TARGETS)])
    # The demo sellers get the deals worth logging in for (hand over, payout); a
    # cancelled or refunded deal can be anybody's.
    by_target = {}
    for target in sorted(TARGETS, key=lambda t: t in ("CANCELLED", "REFUNDED")):
        pool = own or others
        if pool:
            by_target[target] = pool.pop(0)
    listings = [by_target[t] for t in TARGETS if t in by_target]
    sellers = sorted({item.seller for item in listings}, key=lambda user: user.pk)
    if len(listings) < len(TARGETS):
        out.write("Escrow: not enough published demo listings for the demo deals; skipped.")
        return
    for seller in sellers:
        services.connect_payout_account(
            user=seller, country="US", return_url=settings.SITE_URL, refresh_url=settings.SITE_URL
        )
    now = timezone.now()
    made = {}
    for target, listing in zip(TARGETS, listings, strict=True):
        if target == "PENDING_PAYMENT":
            deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
        elif target == "CANCELLED":
            deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
            services.cancel_deal(deal_id=deal.pk, buyer=buyer, now=now)
        elif target == "FUNDED":
            deal = _paid(buyer, listing, now - timedelta(hours=5))
        elif target == "DELIVERED":
            deal = _paid(buyer, listing, now - timedelta(days=1))
            _handed_over(deal, now - timedelta(hours=20))
        elif target == "ACCEPTED":
            deal = _paid(buyer, listing, now - timedelta(days=3))
            _handed_over(deal, now - timedelta(days=2))
            services.accept_deal(deal_id=deal.pk, buyer=buyer, now=now - timedelta(days=1))
        elif target == "RELEASED":
            start = now - settings.PROTECTION_WINDOW - timedelta(days=3)
            deal = _paid(buyer, listing, start)
            _handed_over(deal, start + timedelta(hours=6))
            services.accept_deal(deal_id=deal.pk, buyer=buyer, now=start + timedelta(days=1))
            _until(
                lambda deal_id=deal.pk: services.release_deal(deal_id=deal_id, now=now),
                deal,
                "RELEASED",
            )
            for payout_id in Payout.objects.filter(deal=deal).values_list("pk", flat=True):
                services.execute_payout(payout_id=payout_id, now=now)
        else:  # REFUNDED: never handed over
            start = now - settings.DELIVERY_DEADLINE - timedelta(hours=2)
            deal = _paid(buyer, listing, start)
            _until(
                lambda deal_id=deal.pk: services.refund_undelivered(deal_id=deal_id, now=now),
                deal,
                "REFUNDED",
            )
            for refund_id in Refund.objects.filter(deal=deal).values_list("pk", flat=True):
                services.execute_refund(refund_id=refund_id, now=now)
        made[target] = deal.pk
    if made.get("PENDING_PAYMENT"):
        Deal.objects.filter(pk=made["PENDING_PAYMENT"]).update(policy_note=DEMO_NOTE)
        Deal.objects.filter(pk=made["CANCELLED"]).update(policy_note=DEMO_NOTE)
    out.write(f"Escrow: {len(made)} demo deals ({', '.join(made)}); see /deals/ as the demo buyer.")
    seed_cases(buyer=buyer, out=out)


# ------------------------------------------------------------- re-seeding

#: The time columns of a demo deal's story, per model (None values stay None).
TIMELINE = {
    Deal: (
        "created_at",
        "due_at",
        "reminded_for",
        "funded_at",
        "delivered_at",
        "accepted_at",
        "released_at",
        "closed_at",
        "policy_acknowledged_at",
        "credentials_first_viewed_at",
        "watched_since",
    ),
    DealEvent: ("created_at", "due_at"),
    DealMessage: ("created_at", "removed_at"),
    Dispute: (
        "created_at",
        "responded_at",
        "response_due_at",
        "response_overdue_at",
        "decided_at",
    ),
    Chargeback: ("created_at", "closed_at"),
}


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def rebase_demo_deals(*, buyer, now) -> timedelta:
    """Move every demo deal's timeline forward by the time since the last seeding
    (read from the demo's cancelled deal, which the first seeding closed at its
    ``now``). Idempotent: seeding twice in a row moves nothing the second time.
    Demo data only: the rows are the demo buyer's, marked with ``DEMO_NOTE``."""
    with transaction.atomic():
        deals = list(
            Deal.objects.select_for_update()
            .filter(buyer=buyer, policy_note=DEMO_NOTE)
            .order_by("pk")
        )
        anchor = next((d for d in deals if d.state == Deal.State.CANCELLED and d.closed_at), None)
        if anchor is None or anchor.closed_at >= now:
            return timedelta(0)
        delta = now - anchor.closed_at
        ids = [deal.pk for deal in deals]
        for model, fields in TIMELINE.items():
            rows = (
                model.objects.filter(pk__in=ids)
                if model is Deal
                else model.objects.filter(deal_id__in=ids)
            )
            rows.update(**{name: F(name) + delta for name in fields})
        return delta


def _reopen_awaiting_payment(*, buyer, context: dict, now) -> int | None:
    """A demo deal awaiting payment, if the jobs cancelled the last one (its window
    ran out while ``make run`` was up): the README's story starts with one."""
    if Deal.objects.filter(
        buyer=buyer, policy_note=DEMO_NOTE, state=Deal.State.PENDING_PAYMENT
    ).exists():
        return None
    sellers = [context[k] for k in ("seller", "seller2") if k in context]
    listing = (
        Listing.objects.filter(state=Listing.State.PUBLISHED, seller__in=sellers)
        .exclude(title=SEARCH_EXAMPLE_TITLE)
        .order_by("pk")
        .first()
    )
    if listing is None:
        return None
    try:
        deal = services.open_deal(buyer=buyer, listing_id=listing.pk, now=now)
    except (EscrowError, ListingNotAvailable):  # e.g. the buyer holds the most unpaid deals
        return None
    Deal.objects.filter(pk=deal.pk).update(policy_note=DEMO_NOTE)
    return deal.pk
