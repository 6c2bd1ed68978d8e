"""The per-user standing record (``Standing``) that escrow's services update when a
deal ends or a review is left."""

from __future__ import annotations

import logging
from collections import Counter

from django.db import transaction
from django.utils import timezone

from ..models import (
    IdentityVerification,
)

logger = logging.getLogger("handoff.accounts")

State = IdentityVerification.State


def record_deal_outcome(
    *,
    seller_id: int,
    buyer_id: int,
    completed: bool,
    disputed: bool = False,
    median_release_seconds: int | None = None,
) -> None:
    """Escrow tells accounts that a deal ended (shared contract; DESIGN.md "one
    standing record"). ``completed``: released to the seller; otherwise it ended
    without a sale (refunded/split). ``median_release_seconds``, computed by escrow
    over the seller's released deals, replaces the stored median when given.
    Call inside the transaction that ends the deal."""
    from ..models import Standing

    with transaction.atomic():
        seller, _ = Standing.objects.select_for_update().get_or_create(user_id=seller_id)
        seller.deals_ended += 1
        if completed:
            seller.completed_sales += 1
        if disputed:
            seller.disputes += 1
        if median_release_seconds is not None:
            seller.median_release_seconds = median_release_seconds
        seller.save()
        if completed:
            buyer, _ = Standing.objects.select_for_update().get_or_create(user_id=buyer_id)
            buyer.completed_purchases += 1
            buyer.save()


def record_completed_deals(
    *, deals: list[tuple[int, int]], median_release_seconds: dict[int, int]
) -> None:
    """``record_deal_outcome(completed=True)`` for many deals at once (the release
    job's batch). ``deals``: ``(seller_id, buyer_id)`` per released deal;
    ``median_release_seconds``: the new median per seller, computed by escrow.

    Locks the standings in user-id order (so two batches never deadlock), then
    writes them all in one ``UPDATE … FROM (VALUES …)`` (PostgreSQL and SQLite
    alike; ``bulk_update``'s CASE expression grows with every row). Call
    inside the transaction that ends the deals. Bulk writes send no
    ``post_save``: the caller invalidates what shows standings."""
    from django.db import connection

    from ..models import Standing

    sales = Counter(seller for seller, _ in deals)
    purchases = Counter(buyer for _, buyer in deals)
    user_ids = sorted(set(sales) | set(purchases))
    if not user_ids:
        return
    table = connection.ops.quote_name(Standing._meta.db_table)
    with transaction.atomic():
        # Every user has a standing from the start (accounts.signals), so the
        # existing ones are locked first, in user-id order, and only those missing
        # are made (one object each; making all of them each batch cost more than
        # the update). A second batch making the same one waits on our insert.
        locked = set(
            Standing.objects.select_for_update()
            .filter(user_id__in=user_ids)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )
        missing = [pk for pk in user_ids if pk not in locked]
        if missing:
            Standing.objects.bulk_create(
                [Standing(user_id=pk) for pk in missing], ignore_conflicts=True
            )
            list(
                Standing.objects.select_for_update()
                .filter(user_id__in=missing)
                .order_by("user_id")
                .values_list("pk", flat=True)
            )
        rows = [
            (pk, sales.get(pk, 0), purchases.get(pk, 0), median_release_seconds.get(pk))
            for pk in user_ids
        ]
        values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
        # Only placeholders are interpolated; the table name is the model's own.
        sql = (
            f"UPDATE {table} SET "  # noqa: S608  # nosec B608
            "deals_ended = deals_ended + v.column2, "
            "completed_sales = completed_sales + v.column2, "
            "completed_purchases = completed_purchases + v.column3, "
            "median_release_seconds = COALESCE(CAST(v.column4 AS integer), median_release_seconds), "
            "updated_at = %s "
            f"FROM (VALUES {values}) AS v WHERE {table}.user_id = v.column1"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [timezone.now(), *[value for row in rows for value in row]])


def record_review(*, seller_id: int, rating: int) -> None:
    """Escrow tells accounts that a buyer rated ``seller_id`` 1–5 stars (once per
    deal; escrow enforces that). Call inside the transaction that stores the review."""
    from ..models import Standing

    if not 1 <= int(rating) <= 5:
        raise ValueError("rating must be 1–5")
    with transaction.atomic():
        standing, _ = Standing.objects.select_for_update().get_or_create(user_id=seller_id)
        standing.rating_count += 1
        standing.rating_total += int(rating)
        standing.save(update_fields=["rating_count", "rating_total", "updated_at"])
