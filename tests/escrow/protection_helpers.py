"""Helpers for the escrow protection tests: deals at each step, files, moderators."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from escrow import services
from escrow.services import Upload
from kernel.uploads import clean_document
from tests.governance.conftest import make_moderator

from .conftest import hand_over, open_and_pay

__all__ = ["make_moderator", "png_upload", "evidence", "delivered_deal", "dispute_on"]


def png_upload(name="screenshot.png", size=(60, 40), color=(200, 30, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def evidence(name="screenshot.png"):
    return Upload(clean_document(png_upload(name)), name=name)


def delivered_deal(buyer, listing, now):
    deal = open_and_pay(buyer, listing, now)
    hand_over(deal, now)
    deal.refresh_from_db()
    return deal


def dispute_on(deal, now, statement="The follower count is a third of what was listed."):
    return services.open_dispute(
        deal_id=deal.pk, user=deal.buyer, statement=statement, evidence=[evidence()], now=now
    )


def settle_enqueued(deal, timeout: float = 5.0) -> None:
    """Transactional and browser tests enqueue the refund/payout of a decision on
    commit. When a real worker runs (the session's), wait until it has handled
    them, so it never writes into the next test's database; without a worker,
    drop them from the broker."""
    import time

    from escrow.models import Payout, Refund
    from marketplace.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = Refund.objects.filter(deal=deal, status=Refund.Status.REQUESTED).exists() or (
            Payout.objects.filter(
                deal=deal, status__in=[Payout.Status.PENDING, Payout.Status.REQUESTED]
            ).exists()
        )
        if not pending:
            time.sleep(0.2)  # let the worker's transaction finish
            return
        time.sleep(0.1)
    if app.conf.broker_url.startswith("redis"):
        app.control.purge()
