"""What a deal's ending tells the rest of the product: the parties' standings and
governance's transaction rules."""

from __future__ import annotations

import logging
import math
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Aggregate, F, FloatField

from escrow.models import (
    Deal,
)

logger = logging.getLogger(__name__)
State = Deal.State


def report_transaction_event(
    *, user, rule_code: str, facts: str, facts_params: dict, deal: Deal, now: datetime
):
    """Feed governance's transaction rules (``record_system_violation``): an
    automatic case a moderator confirms or dismisses — never a sanction by itself.
    ``facts`` is a ``gettext_noop`` message, ``facts_params`` its values: the case
    reads in each reader's language.
    Runs inside the caller's transaction; a governance refusal (e.g. the rules
    catalogue not loaded) is logged and never undoes the money step."""
    from governance.exceptions import GovernanceError
    from governance.services import record_system_violation

    try:
        with transaction.atomic():
            return record_system_violation(
                user=user,
                rule_code=rule_code,
                facts=facts,
                facts_params=facts_params,
                subject=deal,
                now=now,
            )
    except GovernanceError:
        logger.exception("could not report %s on deal %s to governance", rule_code, deal.pk)
        return None


class _MedianSeconds(Aggregate):
    """PostgreSQL's median of intervals, each in whole seconds (as the fallback
    counts them)."""

    function = "PERCENTILE_CONT"
    template = (
        "%(function)s(0.5) WITHIN GROUP (ORDER BY FLOOR(EXTRACT(EPOCH FROM %(expressions)s)))"
    )
    output_field = FloatField()


def median_release_seconds(seller_ids) -> dict[int, int]:
    """seller id → median seconds from payment to release over their released deals
    (sellers with none are absent; of an even number, the mean of the middle two,
    rounded down). On PostgreSQL one aggregate per seller, so a seller's thousands
    of sales are not read into the job; elsewhere (SQLite) computed here."""
    released = Deal.objects.filter(
        seller_id__in=seller_ids, state=State.RELEASED, funded_at__isnull=False
    )
    if connection.vendor == "postgresql":
        rows = (
            released.order_by()
            .values("seller_id")
            .annotate(median=_MedianSeconds(F("released_at") - F("funded_at")))
            .values_list("seller_id", "median")
        )
        return {seller_id: math.floor(median) for seller_id, median in rows}
    durations: dict[int, list[int]] = {}
    for seller_id, released_at, funded in released.values_list(
        "seller_id", "released_at", "funded_at"
    ):
        durations.setdefault(seller_id, []).append(int((released_at - funded).total_seconds()))
    medians = {}
    for seller_id, values in durations.items():
        values.sort()
        mid = len(values) // 2
        medians[seller_id] = (
            values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) // 2
        )
    return medians


def record_standing(deal: Deal, *, completed: bool, disputed: bool = False) -> None:
    from accounts.services import record_deal_outcome

    median = median_release_seconds([deal.seller_id]).get(deal.seller_id) if completed else None
    record_deal_outcome(
        seller_id=deal.seller_id,
        buyer_id=deal.buyer_id,
        completed=completed,
        disputed=disputed,
        median_release_seconds=median,
    )
