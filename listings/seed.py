"""Demo listings for ``manage.py seed_demo [--listings N]`` (idempotent, fast).

Realistic, varied listings across platforms, English and Chinese. The two demo
sellers (``context["seller"]``, ``context["seller2"]``) own a showcase set with
screenshots in every seller-visible state; the rest belong to extra demo sellers
created in bulk (unusable passwords: they never log in). Running it again tops the
number of demo listings up to N and creates nothing when there are enough.

Fast on PostgreSQL (100,000 listings in about a minute or two): rows are written
with ``bulk_create`` in batches, Chinese text is segmented once per phrase (the
texts are built from phrases), and the search vectors are computed by one
``UPDATE … FROM (VALUES …)`` per batch.
"""

from __future__ import annotations

import io
import random
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Standing, User
from kernel.money import currency_exponent

from . import search
from .media import new_name, screenshot_storage
from .models import Listing, ListingEvent, ListingScreenshot, Platform, Region
from .ownership import new_ownership_code
from .services import handle_fingerprint, refresh_search_tiers, refresh_search_vector

State = Listing.State
DEMO_DOMAIN = "demo.handoff.test"
BULK_SELLER_PREFIX = "seller-bulk-"
BATCH = 2000
SEED = 20260425

NICHES = [
    ("beauty", "美妆"),
    ("food", "美食"),
    ("travel", "旅行"),
    ("gaming", "游戏"),
    ("fitness", "健身"),
    ("fashion", "穿搭"),
    ("tech reviews", "数码测评"),
    ("pets", "萌宠"),
    ("parenting", "母婴"),
    ("education", "知识科普"),
    ("finance", "财经"),
    ("music", "音乐"),
    ("comedy", "搞笑"),
    ("cars", "汽车"),
    ("home decor", "家居"),
    ("anime", "动漫"),
]

ZH_PLATFORMS = {
    Platform.DOUYIN,
    Platform.BILIBILI,
    Platform.XIAOHONGSHU,
    Platform.KUAISHOU,
    Platform.WEIBO,
}
PLATFORM_WEIGHTS = [
    (Platform.DOUYIN, 16),
    (Platform.TIKTOK, 14),
    (Platform.INSTAGRAM, 14),
    (Platform.YOUTUBE, 14),
    (Platform.BILIBILI, 9),
    (Platform.XIAOHONGSHU, 10),
    (Platform.KUAISHOU, 6),
    (Platform.WEIBO, 5),
    (Platform.X, 6),
    (Platform.TWITCH, 4),
    (Platform.OTHER, 2),
]
EN_TITLES = [
    ("{niche} account", "with an engaged audience"),
    ("Established {niche} channel", "— monetised, steady growth"),
    ("{niche} creator account for sale", ""),
    ("Niche {niche} page", "with loyal followers"),
    ("Fast-growing {niche} account", "— brand deals in place"),
    ("Aged {niche} profile", "— clean history"),
]
ZH_TITLES = [
    ("{niche}博主账号出售", ""),
    ("{niche}垂类账号转让", "粉丝活跃"),
    ("优质{niche}账号", "已开通橱窗"),
    ("{niche}领域老号", "无违规记录"),
    ("高互动{niche}账号出售", ""),
]
EN_SENTENCES = [
    "Original content only, posted three to four times a week.",
    "The audience is mostly 18–34 and very responsive in the comments.",
    "No strikes, no bans, no purchased followers — check the analytics screenshots.",
    "Brand collaborations in the past year; the contacts are handed over with the account.",
    "I am selling because I am moving on to a new project.",
    "The e-mail and phone linked to the account will be changed to yours at handover.",
    "Growth has been organic, mostly from short videos and search.",
    "Engagement is steady; the best posts reach several times the follower count.",
]
ZH_SENTENCES = [
    "账号内容均为原创，每周更新三到四次。",
    "粉丝以18到34岁为主，评论区互动积极。",
    "无违规、无封禁记录，没有买粉，详见后台数据截图。",
    "近一年有品牌合作，交接时一并提供合作资源。",
    "因个人精力有限，转让给用心经营的买家。",
    "交接时会协助更换绑定手机和邮箱。",
    "粉丝增长自然，主要来自短视频推荐和搜索。",
    "数据稳定，爆款作品播放量是粉丝数的数倍。",
]
REGIONS_BY_PLATFORM = {
    True: [Region.MAINLAND_CHINA] * 8 + [Region.GREATER_CHINA, Region.GLOBAL],
    False: [
        Region.NORTH_AMERICA,
        Region.NORTH_AMERICA,
        Region.EUROPE,
        Region.SOUTHEAST_ASIA,
        Region.LATIN_AMERICA,
        Region.SOUTH_ASIA,
        Region.EAST_ASIA,
        Region.OCEANIA,
        Region.GLOBAL,
        Region.GLOBAL,
    ],
}


def _pick_platform(rng: random.Random) -> str:
    platforms, weights = zip(*PLATFORM_WEIGHTS, strict=True)
    return rng.choices(platforms, weights=weights)[0]


def _texts(rng: random.Random, platform: str) -> dict:
    """Title, niche, description, each also as segmented text (for the vector)."""
    chinese = platform in ZH_PLATFORMS or (platform == Platform.TIKTOK and rng.random() < 0.2)
    niche_en, niche_zh = rng.choice(NICHES)
    if chinese:
        niche = niche_zh
        head, tail = rng.choice(ZH_TITLES)
        sentences = rng.sample(ZH_SENTENCES, 3)
        if rng.random() < 0.3:
            sentences.append(rng.choice(EN_SENTENCES))
        sep = ""
    else:
        niche = niche_en
        head, tail = rng.choice(EN_TITLES)
        sentences = rng.sample(EN_SENTENCES, 3)
        sep = " "
    head = head.format(niche=niche)
    title = (head + (" " if tail and not chinese else "，" if tail else "") + tail)[:120]
    title = title[0].upper() + title[1:]
    description = sep.join(sentences)
    return {
        "title": title,
        "niche": niche,
        "description": description,
        "seg_title": " ".join(search.segment(p) for p in (head, tail) if p),
        "seg_niche": search.segment(niche),
        "seg_description": " ".join(search.segment(s) for s in sentences),
    }


def _major(amount: int) -> int:
    """Whole units of the settlement currency → minor units (JPY: ×1, USD: ×100)."""
    return amount * 10 ** currency_exponent(settings.SETTLEMENT_CURRENCY)


def _figures(rng: random.Random) -> dict:
    followers = int(10 ** rng.uniform(3, 6.8))
    views = int(followers * rng.uniform(0.03, 0.6))
    likes = int(views * rng.uniform(0.03, 0.12))
    monetised = rng.random() < 0.5 and followers > 5000
    price_dollars = max(20, int(followers * rng.uniform(0.004, 0.03)) // 5 * 5)
    return {
        "follower_count": followers,
        "avg_views": views,
        "avg_likes": likes,
        "monetised": monetised,
        "monthly_revenue": _major(int(followers * rng.uniform(0.0005, 0.01))) if monetised else 0,
        "price": _major(price_dollars),
    }


def _listing(rng: random.Random, *, seller_id: int, state: str, now, n: int) -> tuple:
    platform = _pick_platform(rng)
    texts = _texts(rng, platform)
    figures = _figures(rng)
    # Short enough for every platform's handle limit (X: 15) at a million listings.
    handle = f"@demo_{n}"
    created = now - timedelta(days=rng.uniform(0, 120))
    published_at = created + timedelta(hours=rng.uniform(1, 48))
    listing = Listing(
        seller_id=seller_id,
        state=state,
        platform=platform,
        niche=texts["niche"],
        title=texts["title"],
        description=texts["description"],
        account_created_on=(created - timedelta(days=rng.uniform(180, 3600))).date(),
        audience_region=rng.choice(REGIONS_BY_PLATFORM[platform in ZH_PLATFORMS]),
        handle=handle,
        handle_fingerprint=handle_fingerprint(platform, handle),
        created_at=created,
        submitted_at=created + timedelta(minutes=30) if state != State.DRAFT else None,
        published_at=published_at if state == State.PUBLISHED else None,
        ownership_code=new_ownership_code() if state != State.DRAFT else "",
        ownership_proven=state == State.PUBLISHED,
        ownership_proven_at=published_at if state == State.PUBLISHED else None,
        moderation_reason=(
            "Screenshots do not show the follower count; add the profile page."
            if state == State.REJECTED
            else ""
        ),
        **figures,
    )
    return listing, texts


def _demo_listing_count() -> int:
    return Listing.objects.filter(seller__email__endswith="@" + DEMO_DOMAIN).count()


def _bulk_sellers(count: int, now) -> list[int]:
    """Ids of ``count`` extra demo sellers (created in bulk if missing)."""
    existing = list(
        User.objects.filter(email__startswith=BULK_SELLER_PREFIX, email__endswith=DEMO_DOMAIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    missing = count - len(existing)
    if missing > 0:
        rng = random.Random(SEED + len(existing))
        unusable = make_password(None)
        extra = {}
        if hasattr(User, "verification_status"):
            # Demo data only: these sellers never log in and are shown as verified.
            # Real users are verified through accounts.services.
            extra = {"verification_status": "verified", "verified_until": now + timedelta(days=365)}
        users = [
            User(
                email=f"{BULK_SELLER_PREFIX}{i}@{DEMO_DOMAIN}",
                display_name=rng.choice(["Studio", "Creator", "Media", "小", "工作室", "Lab"])
                + f" {rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{i}",
                password=unusable,
                date_joined=now - timedelta(days=rng.uniform(30, 900)),
                **extra,
            )
            for i in range(len(existing), count)
        ]
        created = User.objects.bulk_create(users, batch_size=BATCH)
        Standing.objects.bulk_create(
            [
                Standing(
                    user_id=u.pk,
                    completed_sales=(sales := rng.choice([0, 0, 1, 2, 3, 5, 8, 13])),
                    deals_ended=sales,
                    rating_count=(rated := rng.randint(0, sales)),
                    rating_total=rated * rng.choice([4, 4, 5, 5, 5]),
                )
                for u in created
            ],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        existing += [u.pk for u in created]
    return existing[:count]


def _write_vectors(rows: list[tuple[int, dict]]) -> None:
    if not rows or not search.uses_postgres_search():
        return
    from psycopg2.extras import execute_values

    # Built from constants only (no user input); the values go through execute_values.
    vector = search.VECTOR_SQL.format(st="v.st", sn="v.sn", sd="v.sd", t="v.t", d="v.d")
    sql = f"UPDATE listings_listing AS l SET search_vector = {vector} FROM (VALUES %s) AS v(id, st, sn, sd, t, d) WHERE l.id = v.id"  # noqa: S608, E501  # nosec B608 - constant SQL; values are bound parameters
    values = [
        (pk, t["seg_title"], t["seg_niche"], t["seg_description"], t["title"], t["description"])
        for pk, t in rows
    ]
    with connection.cursor() as cursor:
        execute_values(cursor.cursor, sql, values, page_size=len(values))


def _bulk_listings(total: int, seller_ids: list[int], now, out) -> None:
    rng = random.Random(SEED + _demo_listing_count())
    states = [State.PUBLISHED] * 95 + [State.PENDING_REVIEW] * 3 + [State.DRAFT, State.REJECTED]
    start = Listing.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    made = 0
    started = time.monotonic()
    while made < total:
        size = min(BATCH, total - made)
        batch, texts = [], []
        for i in range(size):
            listing, t = _listing(
                rng,
                seller_id=rng.choice(seller_ids),
                state=rng.choice(states),
                now=now,
                n=start + made + i,
            )
            if listing.state == State.PUBLISHED and rng.random() < 0.01:
                listing.featured = True
            batch.append(listing)
            texts.append(t)
        # The handle is encrypted by the field on save; bulk_create calls
        # get_prep_value too, so it is encrypted here as well.
        with transaction.atomic():
            created = Listing.objects.bulk_create(batch, batch_size=BATCH)
            _write_vectors([(obj.pk, t) for obj, t in zip(created, texts, strict=True)])
        made += size
        if total >= 10_000 and made % 20_000 < BATCH:
            out.write(f"  listings: {made:,}/{total:,} ({time.monotonic() - started:.0f}s)")


# ------------------------------------------------------------- showcase


def _screenshot_png(title: str, followers: int, hue: int) -> bytes:
    from PIL import Image, ImageDraw

    rng = random.Random(hue)
    image = Image.new("RGB", (960, 640), (246, 247, 249))
    draw = ImageDraw.Draw(image)
    colour = (15 + hue % 60, 118 - hue % 40, 110 + hue % 90)
    draw.rectangle([0, 0, 960, 96], fill=colour)
    draw.text((32, 28), "Analytics · 数据概览", fill=(255, 255, 255))
    draw.text((32, 120), f"Followers {followers:,}", fill=(27, 36, 48))
    bars = [rng.randint(120, 400) for _ in range(12)]
    for i, h in enumerate(bars):
        x = 40 + i * 74
        draw.rectangle([x, 600 - h, x + 48, 600], fill=colour)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _thumb(png: bytes) -> bytes:
    from PIL import Image

    from .images import THUMBNAIL_SIZE

    with Image.open(io.BytesIO(png)) as image:
        image.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


#: The listing README.md's example search (美妆) finds: the demo deals leave it on sale.
SEARCH_EXAMPLE_TITLE = "美妆博主账号出售，粉丝活跃"

SHOWCASE = [
    # (seller key, state, platform, niche, title, description, followers, price USD)
    (
        "seller",
        State.PUBLISHED,
        Platform.XIAOHONGSHU,
        "美妆",
        SEARCH_EXAMPLE_TITLE,
        "小红书美妆账号，内容均为原创测评，粉丝以18到30岁女性为主。近一年有品牌合作，"
        "交接时协助更换绑定手机和邮箱。",
        86_000,
        2_400,
    ),
    (
        "seller",
        State.PUBLISHED,
        Platform.YOUTUBE,
        "gaming",
        "Established gaming channel — monetised, steady growth",
        "Let's-play and review channel on a Brand Account (owner transfer through Google). "
        "Partner Programme active; 3–4 uploads a week; no strikes.",
        240_000,
        9_800,
    ),
    (
        "seller2",
        State.PUBLISHED,
        Platform.DOUYIN,
        "美食",
        "美食探店账号转让，已开通橱窗",
        "抖音美食探店账号，主要覆盖上海和杭州，爆款视频播放量超过百万。",
        152_000,
        4_500,
    ),
    (
        "seller2",
        State.PUBLISHED,
        Platform.INSTAGRAM,
        "travel",
        "Travel photography page with loyal followers",
        "Curated travel photography, mostly Southeast Asia and Japan. Reels reach 3× the "
        "follower count.",
        58_000,
        1_900,
    ),
    (
        "seller",
        State.PUBLISHED,
        Platform.BILIBILI,
        "知识科普",
        "B站知识科普UP主账号",
        "哔哩哔哩知识区账号，长视频为主，粉丝粘性高，三连率稳定。",
        33_000,
        1_200,
    ),
    (
        "seller2",
        State.PUBLISHED,
        Platform.TIKTOK,
        "fitness",
        "Fitness coach TikTok with brand deals",
        "Home workout short videos; audience 70% US. Two supplement brand deals this year.",
        410_000,
        7_500,
    ),
    (
        "seller",
        State.PENDING_REVIEW,
        Platform.TWITCH,
        "gaming",
        "Twitch streamer account — variety games",
        "Variety streams four nights a week, steady chat.",
        12_500,
        800,
    ),
    (
        "seller",
        State.DRAFT,
        Platform.WEIBO,
        "财经",
        "财经博主微博账号",
        "财经资讯与点评，每日更新。",
        64_000,
        2_000,
    ),
    (
        "seller2",
        State.REJECTED,
        Platform.KUAISHOU,
        "搞笑",
        "快手搞笑段子账号",
        "原创搞笑短剧。",
        95_000,
        1_600,
    ),
]


def _showcase(context: dict, now) -> None:
    """The demo sellers' own listings, with screenshots and events (once)."""
    for i, (who, state, platform, niche, title, desc, followers, usd) in enumerate(SHOWCASE):
        seller = context.get(who)
        if seller is None or Listing.objects.filter(seller=seller, title=title).exists():
            continue
        # Within every platform's handle limit (listings.forms.HANDLE_MAX_LENGTH),
        # so the seller can edit the listing without retyping the handle.
        handle = f"@{who}_demo{i}"
        published = now - timedelta(hours=2 + i)
        listing = Listing.objects.create(
            seller=seller,
            state=state,
            platform=platform,
            niche=niche,
            title=title,
            description=desc,
            follower_count=followers,
            avg_views=followers // 4,
            avg_likes=followers // 40,
            account_created_on=(now - timedelta(days=900 + 40 * i)).date(),
            audience_region=Region.MAINLAND_CHINA if platform in ZH_PLATFORMS else Region.GLOBAL,
            monetised=i % 2 == 0,
            monthly_revenue=(usd * 8) if i % 2 == 0 else 0,
            price=_major(usd),
            handle=handle,
            handle_fingerprint=handle_fingerprint(platform, handle),
            featured=state == State.PUBLISHED and i < 4,
            created_at=published - timedelta(days=1),
            submitted_at=published - timedelta(hours=20) if state != State.DRAFT else None,
            published_at=published if state == State.PUBLISHED else None,
            ownership_code=new_ownership_code() if state != State.DRAFT else "",
            ownership_proven=state == State.PUBLISHED,
            ownership_proven_at=published if state == State.PUBLISHED else None,
            moderation_reason=(
                "截图中看不到粉丝数，请补充主页截图。 (Add a screenshot of the profile page.)"
                if state == State.REJECTED
                else ""
            ),
        )
        refresh_search_vector(listing)
        for n in range(2 if state != State.DRAFT else 1):
            png = _screenshot_png(title, followers, hue=i * 7 + n)
            shot = ListingScreenshot(listing=listing, position=n, caption="")
            # Public media only for a public listing (listings.media), as a move leaves them.
            public = state in Listing.MEDIA_PUBLIC_STATES
            for field, data, thumb in (("image", png, False), ("thumbnail", _thumb(png), True)):
                name = new_name(public=public, thumbnail=thumb, ext="jpg" if thumb else "png")
                setattr(shot, field, screenshot_storage().save(name, ContentFile(data)))
            shot.width, shot.height = 960, 640
            shot.save()
        if state != State.DRAFT:
            ListingEvent.objects.create(
                listing=listing,
                from_state=State.DRAFT,
                to_state=State.PENDING_REVIEW,
                actor=seller,
                reason="submitted for review",
                created_at=listing.submitted_at,
            )
        if state in (State.PUBLISHED, State.REJECTED):
            ListingEvent.objects.create(
                listing=listing,
                from_state=State.PENDING_REVIEW,
                to_state=state,
                actor=context.get("moderator"),
                reason=listing.moderation_reason or "approved",
                created_at=published,
            )


def seed(*, context: dict, options: dict, out) -> None:
    target = max(0, int(options.get("listings") or 40))
    now = timezone.now()
    started = time.monotonic()
    _showcase(context, now)
    missing = target - _demo_listing_count()
    if missing > 0:
        sellers = _bulk_sellers(max(5, min(5000, target // 40)), now)
        _bulk_listings(missing, sellers, now, out)
        refresh_search_tiers()  # as the hourly job would
        if search.uses_postgres_search():
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE listings_listing")
    out.write(
        f"Listings: {_demo_listing_count():,} demo listings ({time.monotonic() - started:.1f}s)."
    )
    context["listings_seeded"] = True
