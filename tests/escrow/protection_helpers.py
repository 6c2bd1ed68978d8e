"""Helpers for the escrow protection tests: deals at each step, files, moderators."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from escrow import protection
from escrow.protection import Upload
from marketplace.uploads import clean_document
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
    return protection.open_dispute(
        deal_id=deal.pk, user=deal.buyer, statement=statement, evidence=[evidence()], now=now
    )
