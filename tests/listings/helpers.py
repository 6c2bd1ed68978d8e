"""Building listings the way users do: through listings.services."""

from __future__ import annotations

import io

from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.permissions import MODERATORS_GROUP
from listings import services
from tests.factories import UserFactory

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def png_upload(name="shot.png", size=(640, 400), color="teal", fmt="PNG", exif=None):
    buffer = io.BytesIO()
    image = Image.new("RGB", size, color)
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, fmt, **kwargs)
    content_type = "image/png" if fmt == "PNG" else "image/jpeg"
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def moderator(**kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    TOTP.activate(user, TOTP_SECRET)
    return user


ACCOUNT = {
    "platform": "xiaohongshu",
    "handle": "@secret_beauty_handle",
    "niche": "美妆",
    "follower_count": 86_000,
    "avg_views": 20_000,
    "avg_likes": 1_500,
    "audience_region": "cn",
    "monetised": True,
    "monthly_revenue": 50_000,
}
OFFER = {
    "title": "美妆博主账号出售",
    "description": "Original beauty reviews, audience 18–30.",
    "price": 240_000,
}


def draft(seller, *, screenshots=1, **overrides):
    """A complete DRAFT of ``seller`` (ready to submit)."""
    account = {k: overrides.pop(k) for k in list(overrides) if k in ACCOUNT}
    listing = services.create_listing(seller=seller, data={**ACCOUNT, **account})
    services.update_listing(seller=seller, listing_id=listing.pk, data={**OFFER, **overrides})
    for i in range(screenshots):
        services.add_screenshot(seller=seller, listing_id=listing.pk, upload=png_upload(f"{i}.png"))
    listing.refresh_from_db()
    return listing


def published(seller, mod=None, **overrides):
    """A PUBLISHED listing: drafted, submitted, ownership proven, approved."""
    mod = mod or moderator()
    listing = draft(seller, **overrides)
    services.submit_listing(seller=seller, listing_id=listing.pk)
    services.mark_ownership_proven(moderator=mod, listing_id=listing.pk)
    services.approve_listing(moderator=mod, listing_id=listing.pk)
    listing.refresh_from_db()
    return listing


def insert_published_rows(seller, count, *, platform="'youtube'", followers="g", price="100 + g"):
    """``count`` PUBLISHED listings of ``seller`` in one INSERT (for plan tests on a
    large table): ``platform``, ``followers`` and ``price`` are SQL expressions of
    ``g`` = 1 … count (test constants, never user input); published a second apart."""
    from django.db import connection

    sql = f"""
        INSERT INTO listings_listing (seller_id, state, platform, niche, follower_count,
          avg_views, avg_likes, audience_region, monetised, monthly_revenue, handle,
          handle_fingerprint, title, description, price, currency, featured,
          ownership_code, ownership_proven, moderation_reason, created_at, updated_at,
          published_at)
        SELECT %s, 'PUBLISHED', {platform}, 'gaming', {followers}, 0, 0, 'global', false, 0,
          '', '', 'Listing ' || g, 'text', {price}, 'USD', false, '', true, '', now(), now(),
          now() - (g || ' seconds')::interval
        FROM generate_series(1, %s) AS g
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [seller.pk, count])
