"""The project's parts of data export and account closure (``accounts.privacy``).

accounts may not import listings, escrow or governance; this project-level module
may, and registers their export sections, closure blockers and erasers at start-up
(``MarketplaceConfig.ready``). Nothing here exports another person's personal data
or a secret: deals name no counterparty and carry no credentials.
"""

from __future__ import annotations

from datetime import datetime

from accounts import privacy


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _listings(user) -> list[dict]:
    from listings.models import Listing

    return [
        {
            "id": x.pk,
            "title": x.title,
            "platform": x.platform,
            "state": x.state,
            "price": x.price,
            "currency": x.currency,
            "created_at": _iso(x.created_at),
            "published_at": _iso(x.published_at),
        }
        for x in Listing.objects.filter(seller=user).order_by("pk")
    ]


def _deal(deal) -> dict:
    return {
        "id": deal.pk,
        "listing": deal.listing.title,
        "state": deal.state,
        "price": deal.price,
        "platform_fee": deal.platform_fee,
        "total": deal.total,
        "currency": deal.currency,
        "created_at": _iso(deal.created_at),
        "closed_at": _iso(deal.closed_at),
    }


def _deals_as_buyer(user) -> list[dict]:
    from escrow.models import Deal

    return [_deal(d) for d in Deal.objects.filter(buyer=user).select_related("listing")]


def _deals_as_seller(user) -> list[dict]:
    from escrow.models import Deal

    return [_deal(d) for d in Deal.objects.filter(seller=user).select_related("listing")]


def _reports(user) -> list[dict]:
    from governance.models import Report

    return [
        {
            "id": r.pk,
            "created_at": _iso(r.created_at),
            "rule": r.rule.code,
            "details": r.details,
            "status": r.status,
            "decided_at": _iso(r.decided_at),
        }
        for r in Report.objects.filter(reporter=user).select_related("rule").order_by("pk")
    ]


def _violations(user) -> list[dict]:
    from governance.models import Violation

    return [
        {
            "id": v.pk,
            "rule": v.rule.code,
            "facts": v.facts,
            "decided_at": _iso(v.decided_at),
            "points_half": v.points_half,
            "status": v.status,
        }
        for v in Violation.objects.filter(user=user).select_related("rule").order_by("pk")
    ]


def _sanctions(user) -> list[dict]:
    from governance.models import Sanction

    return [
        {
            "id": s.pk,
            "kind": s.kind,
            "basis": s.basis,
            "starts_at": _iso(s.starts_at),
            "ends_at": _iso(s.ends_at),
            "status": s.status,
        }
        for s in Sanction.objects.filter(user=user).order_by("pk")
    ]


def _appeals(user) -> list[dict]:
    from governance.models import Appeal

    return [
        {"id": a.pk, "text": a.text, "created_at": _iso(a.created_at), "status": a.status}
        for a in Appeal.objects.filter(user=user).order_by("pk")
    ]


def open_deal_blocker(user) -> str | None:
    from escrow.models import Deal

    deals = Deal.objects.filter(buyer=user) | Deal.objects.filter(seller=user)
    if deals.exclude(state__in=Deal.FINAL_STATES).exists():
        return "open_deal"
    return None


def funds_held_blocker(user) -> str | None:
    from escrow.models import Payout, Refund

    if Payout.objects.filter(deal__seller=user).exclude(status=Payout.Status.PAID).exists():
        return "funds_held"
    if Refund.objects.filter(deal__buyer=user).exclude(status=Refund.Status.SUCCEEDED).exists():
        return "funds_held"
    return None


def erase_escrow_details(user, now: datetime) -> None:
    """Bank details (encrypted) and listings still on the market go."""
    from escrow.models import SellerPayoutAccount
    from listings.models import Listing
    from listings.services import withdraw_listing

    SellerPayoutAccount.objects.filter(user=user).update(bank_details="")
    live = Listing.objects.filter(
        seller=user,
        state__in=[Listing.State.DRAFT, Listing.State.PENDING_REVIEW, Listing.State.PUBLISHED],
    )
    for listing_id in live.values_list("pk", flat=True):
        withdraw_listing(seller=user, listing_id=listing_id, reason="account closed", now=now)


def register() -> None:
    for name, build in [
        ("listings", _listings),
        ("deals_as_buyer", _deals_as_buyer),
        ("deals_as_seller", _deals_as_seller),
        ("reports", _reports),
        ("violations", _violations),
        ("sanctions", _sanctions),
        ("appeals", _appeals),
    ]:
        privacy.register_section(name, build)
    privacy.register_blocker(open_deal_blocker)
    privacy.register_blocker(funds_held_blocker)
    privacy.register_eraser(erase_escrow_details)
