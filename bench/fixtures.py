"""Bench data on top of ``seed_demo``: buyers, signed-in sessions, due deals.

``seed_demo --listings N`` makes the listings and their sellers (and seven demo
deals). The benchmark also needs many verified buyers, a signed-in session and a
CSRF token for some of them (the checkout POST and the deal page), and 10,000
deals ACCEPTED and past their protection window for the release job.

The due deals are written in bulk with exactly the rows the services leave behind
after open → acknowledge → pay → hand over → accept (deal, events, payment and the
simulated provider's intent, the payment's ledger posting, the handover, the
listing RESERVED with its event): building 10,000 of them through the services
would take most of the benchmark's time budget. The job under test, the release,
then runs through the real services. ``tests/test_bench.py`` checks that a bulk
deal releases like one built through the services.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.crypto import get_random_string

from accounts.models import Standing, User
from escrow.checklists import checklist_for
from escrow.gateways.simulated import PROCESSING_FEE_BPS, PROCESSING_FEE_FIXED
from escrow.models import (
    Account,
    Deal,
    DealEvent,
    Handover,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    SellerPayoutAccount,
    SimConnectedAccount,
    SimPaymentIntent,
)
from kernel.money import apply_bps, quote
from listings.models import Listing, ListingEvent

BUYER_DOMAIN = "bench.handoff.test"
BUYER_PREFIX = "bench-buyer-"
BATCH = 2000
POLICY_NOTE = "[bench] transfer policy acknowledged"


def ensure_buyers(count: int, now: datetime) -> list[int]:
    """Ids of ``count`` verified adult buyers (created in bulk when missing)."""
    existing = list(
        User.objects.filter(email__startswith=BUYER_PREFIX, email__endswith=BUYER_DOMAIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if len(existing) < count:
        unusable = make_password(None)
        users = User.objects.bulk_create(
            [
                User(
                    email=f"{BUYER_PREFIX}{i}@{BUYER_DOMAIN}",
                    display_name=f"Bench buyer {i}",
                    password=unusable,
                    verification_status="verified",
                    verified_until=now + timedelta(days=365),
                    date_joined=now - timedelta(days=30),
                )
                for i in range(len(existing), count)
            ],
            batch_size=BATCH,
        )
        Standing.objects.bulk_create(
            [Standing(user_id=u.pk) for u in users], batch_size=BATCH, ignore_conflicts=True
        )
        existing += [u.pk for u in users]
    return existing[:count]


def signed_in(user_ids: list[int]) -> list[tuple[int, str, str]]:
    """(user id, session key, CSRF token) for each user: a real session (the
    configured engine: the database, and Redis in front of it) as
    ``django.contrib.auth.login`` writes it, and a CSRF secret that the browser would
    hold in its cookie and echo in the form."""
    out = []
    users = User.objects.in_bulk(user_ids)
    backend = settings.AUTHENTICATION_BACKENDS[0]
    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore  # noqa: N806
    for user_id in user_ids:
        user = users[user_id]
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        out.append((user_id, session.session_key, get_random_string(32)))
    return out


def warm_sessions(sessions: list[tuple[int, str, str]]) -> None:
    """Read each session once through the configured engine, which puts it in the
    cache in front of the database (``kernel.sessions``): as a site has the
    sessions of the buyers browsing it. The bench empties the cache before each
    pass (for the fragment caches), which would otherwise turn every checkout of
    4,000 buyers into a session read from the database."""
    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore  # noqa: N806
    for _user_id, session_key, _token in sessions:
        SessionStore(session_key).load()


def published_ids(count: int, *, exclude_sellers: list[int], offset: int = 0) -> list[int]:
    """``count`` PUBLISHED listing ids (oldest first, skipping ``offset``)."""
    return list(
        Listing.objects.filter(state=Listing.State.PUBLISHED)
        .exclude(seller_id__in=exclude_sellers)
        .order_by("pk")
        .values_list("pk", flat=True)[offset : offset + count]
    )


def ensure_payout_accounts(seller_ids: list[int], now: datetime) -> None:
    """Every seller gets a simulated Connect account with payouts enabled, as
    ``connect_payout_account`` leaves it, so the release job's payouts are sent."""
    have = set(
        SellerPayoutAccount.objects.filter(user_id__in=seller_ids).values_list("user_id", flat=True)
    )
    missing = [pk for pk in seller_ids if pk not in have]
    if not missing:
        return
    refs = {pk: f"acct_sim_{secrets.token_hex(10)}" for pk in missing}
    SimConnectedAccount.objects.bulk_create(
        [
            SimConnectedAccount(id=ref, country="US", payouts_enabled=True, created_at=now)
            for ref in refs.values()
        ],
        batch_size=BATCH,
    )
    SellerPayoutAccount.objects.bulk_create(
        [
            SellerPayoutAccount(
                user_id=pk,
                rail=SellerPayoutAccount.Rail.PROVIDER,
                country="US",
                provider="simulated",
                account_ref=ref,
                payouts_enabled=True,
            )
            for pk, ref in refs.items()
        ],
        batch_size=BATCH,
    )


def build_due_deals(*, listing_ids: list[int], buyer_ids: list[int], now: datetime) -> list[int]:
    """ACCEPTED deals past their protection window on ``listing_ids`` (PUBLISHED),
    bought round-robin by ``buyer_ids``. Returns the deal ids."""
    created: list[int] = []
    for start in range(0, len(listing_ids), BATCH):
        created += _build_batch(listing_ids[start : start + BATCH], buyer_ids, now, start)
    return created


def _build_batch(listing_ids, buyer_ids, now, offset) -> list[int]:
    begun = now - settings.PROTECTION_WINDOW - timedelta(days=3)
    funded = begun + timedelta(minutes=5)
    delivered = begun + timedelta(hours=6)
    accepted = begun + timedelta(days=1)
    with transaction.atomic():
        listings = list(
            Listing.objects.select_for_update()
            .filter(pk__in=listing_ids, state=Listing.State.PUBLISHED)
            .order_by("pk")
            .only("pk", "seller_id", "price", "currency", "platform")
        )
        ensure_payout_accounts(sorted({item.seller_id for item in listings}), now)
        deals = []
        for i, listing in enumerate(listings):
            q = quote(listing.price, listing.currency)
            buyer_id = buyer_ids[(offset + i) % len(buyer_ids)]
            deals.append(
                Deal(
                    listing_id=listing.pk,
                    buyer_id=buyer_id,
                    seller_id=listing.seller_id,
                    state=Deal.State.ACCEPTED,
                    price=q.price,
                    platform_fee=q.fee,
                    total=q.total,
                    currency=q.currency,
                    created_at=begun,
                    due_at=accepted + settings.PROTECTION_WINDOW,
                    funded_at=funded,
                    delivered_at=delivered,
                    accepted_at=accepted,
                    policy_acknowledged_at=begun + timedelta(minutes=1),
                    policy_note=POLICY_NOTE,
                )
            )
        deals = Deal.objects.bulk_create(deals, batch_size=BATCH)
        platforms = {item.pk: item.platform for item in listings}
        events, handovers, intents, payments = [], [], [], []
        for deal in deals:
            events += [
                DealEvent(
                    deal=deal,
                    from_state="",
                    to_state="PENDING_PAYMENT",
                    kind="opened",
                    actor_id=deal.buyer_id,
                    due_at=begun + settings.PAYMENT_WINDOW,
                    created_at=begun,
                ),
                DealEvent(
                    deal=deal,
                    from_state="PENDING_PAYMENT",
                    to_state="FUNDED",
                    kind="paid",
                    due_at=funded + settings.DELIVERY_DEADLINE,
                    created_at=funded,
                ),
                DealEvent(
                    deal=deal,
                    from_state="FUNDED",
                    to_state="DELIVERED",
                    kind="handed_over",
                    actor_id=deal.seller_id,
                    due_at=delivered + settings.INSPECTION_PERIOD,
                    created_at=delivered,
                ),
                DealEvent(
                    deal=deal,
                    from_state="DELIVERED",
                    to_state="ACCEPTED",
                    kind="accepted",
                    actor_id=deal.buyer_id,
                    due_at=deal.due_at,
                    created_at=accepted,
                ),
            ]
            checklist = sorted(key for key, _label in checklist_for(platforms[deal.listing_id]))
            handovers.append(
                Handover(
                    deal=deal,
                    login="bench-login@example.com",
                    password=secrets.token_hex(8),
                    notes="Bench handover.",
                    checklist=json.dumps(checklist),
                    created_at=delivered,
                )
            )
            ref = f"pi_sim_{secrets.token_hex(10)}"
            fee = apply_bps(deal.total, PROCESSING_FEE_BPS) + PROCESSING_FEE_FIXED
            intents.append(
                SimPaymentIntent(
                    id=ref,
                    amount=deal.total,
                    currency=deal.currency.upper(),
                    status="succeeded",
                    processing_fee=fee,
                    metadata={"deal_id": str(deal.pk)},
                    created_at=begun,
                )
            )
            payments.append(
                Payment(
                    deal=deal,
                    provider="simulated",
                    idempotency_key=f"payment-{deal.pk}",
                    provider_ref=ref,
                    status=Payment.Status.SUCCEEDED,
                    amount=deal.total,
                    currency=deal.currency,
                    processing_fee=fee,
                    created_at=begun,
                    succeeded_at=funded,
                )
            )
        DealEvent.objects.bulk_create(events, batch_size=BATCH)
        Handover.objects.bulk_create(handovers, batch_size=BATCH)
        SimPaymentIntent.objects.bulk_create(intents, batch_size=BATCH)
        payments = Payment.objects.bulk_create(payments, batch_size=BATCH)
        by_deal = {p.deal_id: p for p in payments}
        txns = LedgerTransaction.objects.bulk_create(
            [
                LedgerTransaction(
                    kind=LedgerTransaction.Kind.PAYMENT,
                    reference=f"payment:{by_deal[d.pk].pk}",
                    deal=d,
                    memo=f"deal {d.pk} paid ({by_deal[d.pk].provider_ref})",
                    created_at=funded,
                )
                for d in deals
            ],
            batch_size=BATCH,
        )
        entries = []
        for deal, txn in zip(deals, txns, strict=True):
            payment = by_deal[deal.pk]
            for account, amount in (
                (Account.PROVIDER_CASH, payment.amount - payment.processing_fee),
                (Account.PROCESSING_FEES, payment.processing_fee),
                (Account.ESCROW_HELD, -payment.amount),
            ):
                if amount:
                    entries.append(
                        LedgerEntry(
                            transaction=txn,
                            account=account,
                            deal=deal,
                            amount=amount,
                            currency=deal.currency,
                        )
                    )
        LedgerEntry.objects.bulk_create(entries, batch_size=BATCH)
        Listing.objects.filter(pk__in=[d.listing_id for d in deals]).update(
            state=Listing.State.RESERVED
        )
        ListingEvent.objects.bulk_create(
            [
                ListingEvent(
                    listing_id=d.listing_id,
                    from_state="PUBLISHED",
                    to_state="RESERVED",
                    actor_id=d.buyer_id,
                    reason="deal opened",
                    created_at=begun,
                )
                for d in deals
            ],
            batch_size=BATCH,
        )
    return [d.pk for d in deals]
