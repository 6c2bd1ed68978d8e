"""Governance part of ``manage.py seed_demo`` (idempotent): a queue of open
reports for moderators (a user report and automatic findings), one confirmed
violation with its sanction and statement of reasons, a pending appeal for the
second moderator, and the transparency snapshots.

The sanctioned demo user is the buyer, with a rule whose measure is points only
(6 points: no new listings for 7 days), so the listings and escrow demo data that
run after this can still be created."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from . import services
from .models import Report


def seed(*, context: dict, options: dict, out) -> None:
    buyer, seller, seller2 = context["buyer"], context["seller"], context["seller2"]
    moderator = context["moderator"]
    if Report.objects.filter(reporter__in=[buyer, seller]).exists():
        out.write("governance: demo reports already present")
        return
    now = timezone.now()
    earlier = now - timedelta(days=2)

    services.file_report(
        reporter=buyer,
        subject=seller2,
        rule="BEH-07",
        details="Kept sending me rude messages after I asked a question about the price.",
        now=earlier,
    )
    services.record_automatic_findings(
        subject=seller2,
        text="想要更便宜就加我V信 studio_lin88，私下交易更便宜",
        now=earlier + timedelta(hours=1),
    )
    report = services.file_report(
        reporter=seller,
        subject=buyer,
        rule="BEH-11",
        details="The screenshot the buyer sent in our dispute has been edited: the dates do not match.",
        now=earlier,
    )
    services.claim_report(
        report_id=report.pk, moderator=moderator, now=earlier + timedelta(hours=3)
    )
    violation = services.confirm_report(
        report_id=report.pk,
        moderator=moderator,
        facts="The screenshot submitted on the demo dispute was edited: its dates contradict the deal timeline.",
        reason="Compared the screenshot with the deal events.",
        now=earlier + timedelta(hours=4),
    )
    services.file_appeal(
        user=buyer,
        violation_id=violation.pk,
        text="The screenshot is genuine; the dates differ because my phone was set to another time zone.",
        now=earlier + timedelta(hours=6),
    )
    services.build_transparency_snapshots(now=now)
    out.write(
        "governance: 3 open reports, 1 confirmed violation with its sanction, 1 appeal "
        "waiting for the second moderator"
    )
