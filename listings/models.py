"""Account listings: the state machine, the listed account's facts, screenshots.

A listing's state changes only through ``listings.services.transition_listing``
(via the use-case services), which checks ``Listing.TRANSITIONS`` and writes a
``ListingEvent`` in the same transaction. Money is in integer minor units of the
deployment's settlement currency. The listed account's handle/URL is encrypted at
rest and is never shown to buyers before a funded deal.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kernel.crypto import EncryptedTextField
from kernel.system_text import system_text

from .media import extension, new_name, screenshot_src, screenshot_storage

MAX_PRICE = 10_000_000_000  # minor units: 100,000,000.00 in the settlement currency
MAX_FOLLOWERS = 2_000_000_000
MAX_MONTHLY_REVENUE = 1_000_000_000  # minor units
MAX_SCREENSHOTS = 8


def default_currency() -> str:
    return settings.SETTLEMENT_CURRENCY


class Platform(models.TextChoices):
    DOUYIN = "douyin", _("Douyin")
    TIKTOK = "tiktok", _("TikTok")
    INSTAGRAM = "instagram", _("Instagram")
    YOUTUBE = "youtube", _("YouTube")
    BILIBILI = "bilibili", _("Bilibili")
    XIAOHONGSHU = "xiaohongshu", _("Xiaohongshu (RED)")
    KUAISHOU = "kuaishou", _("Kuaishou")
    WEIBO = "weibo", _("Weibo")
    X = "x", _("X (Twitter)")
    TWITCH = "twitch", _("Twitch")
    OTHER = "other", _("Other")


class Region(models.TextChoices):
    MAINLAND_CHINA = "cn", _("Mainland China")
    GREATER_CHINA = "hk_tw", _("Hong Kong, Macao and Taiwan")
    NORTH_AMERICA = "na", _("North America")
    LATIN_AMERICA = "latam", _("Latin America")
    EUROPE = "eu", _("Europe")
    SOUTHEAST_ASIA = "sea", _("Southeast Asia")
    SOUTH_ASIA = "sa", _("South Asia")
    EAST_ASIA = "ea", _("Japan and Korea")
    MIDDLE_EAST_AFRICA = "mea", _("Middle East and Africa")
    OCEANIA = "oc", _("Oceania")
    GLOBAL = "global", _("Global / mixed")


#: The reasons the system records when governance's decisions take a listing
#: down, as the rows keep them (an unfreeze finds the listings a freeze hid by
#: ``FROZEN_REASON``). ``Listing.moderation_reason_text`` says them to the seller
#: through ``kernel.system_text`` (the one mechanism for recorded text), in the
#: seller's own wording (audience "owner", registered in ``listings.apps``);
#: a moderator's own reason is kept and shown as written.
FROZEN_REASON = "hidden while the seller's account is frozen (governance)"
CLOSED_REASON = "the seller's account was closed (governance)"
DECIDED_REASON = "removed (governance)"
BROKE_RULE_PREFIX = "removed for breaking rule "


class Listing(models.Model):
    class State(models.TextChoices):
        DRAFT = "DRAFT", _("Draft")
        PENDING_REVIEW = "PENDING_REVIEW", _("Pending review")
        PUBLISHED = "PUBLISHED", _("Published")
        RESERVED = "RESERVED", _("Reserved")
        SOLD = "SOLD", _("Sold")
        REJECTED = "REJECTED", _("Rejected")
        WITHDRAWN = "WITHDRAWN", _("Withdrawn")
        REMOVED = "REMOVED", _("Removed")

    S = State
    #: The one transition table. Who may trigger each move is decided by the
    #: use-case services; this map only says which moves exist at all.
    TRANSITIONS: dict[str, frozenset[str]] = {
        S.DRAFT: frozenset({S.PENDING_REVIEW, S.WITHDRAWN, S.REMOVED}),
        S.PENDING_REVIEW: frozenset({S.PUBLISHED, S.REJECTED, S.DRAFT, S.WITHDRAWN, S.REMOVED}),
        # PUBLISHED -> PENDING_REVIEW: the seller edited a published listing.
        S.PUBLISHED: frozenset({S.RESERVED, S.PENDING_REVIEW, S.WITHDRAWN, S.REMOVED}),
        # RESERVED -> WITHDRAWN: a deal refunded after the credentials were shown.
        S.RESERVED: frozenset({S.PUBLISHED, S.SOLD, S.WITHDRAWN, S.REMOVED}),
        S.REJECTED: frozenset({S.DRAFT, S.PENDING_REVIEW, S.WITHDRAWN, S.REMOVED}),
        S.WITHDRAWN: frozenset({S.DRAFT, S.PENDING_REVIEW, S.REMOVED}),
        S.SOLD: frozenset(),
        # REMOVED -> PUBLISHED: a moderator restores it (e.g. an appeal was upheld).
        S.REMOVED: frozenset({S.PUBLISHED}),
    }
    del S

    #: States in which the seller may edit the listing (PUBLISHED edits go back to review).
    EDITABLE_STATES = frozenset(
        {State.DRAFT, State.PENDING_REVIEW, State.PUBLISHED, State.REJECTED, State.WITHDRAWN}
    )
    #: States that count as "this account is on the market" (one listing per account).
    ACTIVE_STATES = frozenset({State.PENDING_REVIEW, State.PUBLISHED, State.RESERVED})
    #: States in which the listing is publicly visible: its page is shown to anyone
    #: (``selectors.get_listing_for_user``). The one definition; ``is_public`` reads it.
    PUBLIC_STATES = frozenset({State.PUBLISHED})
    #: States in which its screenshots are public media (``listings.media``): while it
    #: is public, and while a checkout holds it. A reservation pauses the sale, it
    #: takes nothing down: an unpaid deal puts the listing back on sale, and moving
    #: the files out and back for each abandoned checkout would cost every checkout
    #: a write and a queue message. A sale and every take-down move them.
    MEDIA_PUBLIC_STATES = PUBLIC_STATES | {State.RESERVED}

    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="listings",
        verbose_name=_("seller"),
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)

    # ---- the account
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    niche = models.CharField(
        _("niche / category"),
        max_length=60,
        help_text=_("For example: beauty, gaming, travel, 美妆, 美食."),
    )
    follower_count = models.PositiveBigIntegerField(
        _("followers"), validators=[MaxValueValidator(MAX_FOLLOWERS)]
    )
    avg_views = models.PositiveBigIntegerField(
        _("average views per post"), default=0, validators=[MaxValueValidator(MAX_FOLLOWERS * 10)]
    )
    avg_likes = models.PositiveBigIntegerField(
        _("average likes per post"), default=0, validators=[MaxValueValidator(MAX_FOLLOWERS * 10)]
    )
    account_created_on = models.DateField(
        _("account created on"),
        null=True,
        blank=True,
        help_text=_("Approximate date the account was opened."),
    )
    audience_region = models.CharField(
        _("main audience region"), max_length=10, choices=Region.choices, default=Region.GLOBAL
    )
    monetised = models.BooleanField(_("monetisation enabled"), default=False)
    monthly_revenue = models.PositiveBigIntegerField(
        _("monthly revenue"),
        default=0,
        validators=[MaxValueValidator(MAX_MONTHLY_REVENUE)],
        help_text=_("Average monthly revenue, in minor units (cents) of the currency."),
    )
    handle = EncryptedTextField(
        _("account handle or URL"),
        blank=True,
        help_text=_("Private: shown to the buyer only after their payment is held in escrow."),
    )
    handle_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        editable=False,
        help_text=_("Keyed hash of platform + normalised handle, to find the same account twice."),
    )

    # ---- the offer
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=5000)
    price = models.PositiveBigIntegerField(
        _("price"),
        null=True,  # a draft may not have one yet; required from submission on
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PRICE)],
        help_text=_("In minor units (cents) of the currency."),
    )
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    featured = models.BooleanField(
        _("featured"), default=False, help_text=_("Shown on the home page.")
    )

    # ---- ownership proof and moderation
    ownership_code = models.CharField(_("ownership code"), max_length=24, blank=True)
    ownership_proven = models.BooleanField(_("ownership proven"), default=False)
    ownership_proven_at = models.DateTimeField(null=True, blank=True)
    ownership_proven_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    moderation_reason = models.TextField(
        _("moderator's reason"),
        blank=True,
        help_text=_("Why the listing was rejected or removed; the seller sees it."),
    )

    # ---- search (maintained by services; see listings.search)
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    #: The listing's search tier by age (``listings.search.TIERS``): 0 holds the
    #: newest ``SEARCH_FIRST_TIER`` published listings and every row after them,
    #: each next tier four times as many older ones, the last all the rest. Tiers
    #: are suffixes of the table by id (new rows are tier 0, the database default;
    #: ``services.refresh_search_tiers`` moves the oldest down). Each tier has its
    #: own partial GIN index, so a word's newest matches are read tier by tier from
    #: indexes that do not grow with the table (selectors). A full save keeps the
    #: job's tier (``receivers.keep_search_tier``).
    search_tier = models.SmallIntegerField(default=0, db_default=0, editable=False)

    # ---- time
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted for review"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        ordering = ["-id"]
        permissions = [
            ("review_listing", _("Can approve, reject and prove ownership of listings")),
            ("remove_listing", _("Can remove and restore listings")),
            ("feature_listing", _("Can feature listings on the home page")),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gt=0), name="listing_price_positive"),
            models.CheckConstraint(
                condition=models.Q(price__lte=MAX_PRICE), name="listing_price_not_absurd"
            ),
            models.CheckConstraint(
                condition=models.Q(follower_count__lte=MAX_FOLLOWERS),
                name="listing_followers_not_absurd",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="PUBLISHED") | models.Q(published_at__isnull=False),
                name="listing_published_has_published_at",
            ),
            models.CheckConstraint(
                condition=models.Q(state="DRAFT") | models.Q(price__isnull=False),
                name="listing_submitted_has_price",
            ),
        ]
        # Catalogue: only PUBLISHED rows are ever listed, so the sort indexes are
        # partial; each ends with id, the keyset cursor's tie-breaker, and INCLUDEs
        # the filter columns it lacks (index-only filtered walks and counts, 0007).
        # The GIN index on search_vector is created by migration 0002 on PostgreSQL
        # only (SQLite cannot build it when it remakes the table).
        indexes = [
            models.Index(
                fields=["-published_at", "-id"],
                name="listing_pub_newest",
                include=["platform", "follower_count", "price"],
                condition=models.Q(state="PUBLISHED"),
            ),
            models.Index(
                fields=["price", "id"],
                name="listing_pub_price",
                include=["platform", "follower_count"],
                condition=models.Q(state="PUBLISHED"),
            ),
            models.Index(
                fields=["-follower_count", "-id"],
                name="listing_pub_followers",
                include=["platform", "price"],
                condition=models.Q(state="PUBLISHED"),
            ),
            models.Index(
                fields=["platform", "-published_at", "-id"],
                name="listing_pub_platform",
                include=["follower_count", "price"],
                condition=models.Q(state="PUBLISHED"),
            ),
            models.Index(
                fields=["-published_at", "-id"],
                name="listing_pub_featured",
                condition=models.Q(state="PUBLISHED", featured=True),
            ),
            models.Index(fields=["search_tier", "id"], name="listing_search_tier"),
            models.Index(fields=["seller", "state"], name="listing_seller_state"),
            models.Index(fields=["state", "submitted_at"], name="listing_review_queue"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_public(self) -> bool:
        return self.state in self.PUBLIC_STATES

    @property
    def account_age_months(self) -> int | None:
        if not self.account_created_on:
            return None
        today = timezone.localdate()
        months = (today.year - self.account_created_on.year) * 12 + (
            today.month - self.account_created_on.month
        )
        return max(0, months)

    @property
    def engagement_rate(self) -> float | None:
        """Average likes per follower, in percent (None without figures)."""
        if not self.follower_count or not self.avg_likes:
            return None
        return round(100 * self.avg_likes / self.follower_count, 2)

    @property
    def is_editable(self) -> bool:
        return self.state in self.EDITABLE_STATES

    @property
    def moderation_reason_text(self) -> str:
        """Why the listing was rejected or removed, for its seller: a reason the
        system recorded in the reader's language, a moderator's as written."""
        return system_text(self.moderation_reason, audience="owner")


class PendingListing(Listing):
    """The moderators' review queue (PENDING_REVIEW listings), as its own admin page."""

    class Meta:
        proxy = True
        verbose_name = _("listing awaiting review")
        verbose_name_plural = _("review queue")


def screenshot_path(instance, filename: str) -> str:
    """A new upload's name: private (a draft is not public; ``listings.media``)."""
    return new_name(public=False, thumbnail=False, ext=extension(filename))


def thumbnail_path(instance, filename: str) -> str:
    return new_name(public=False, thumbnail=True, ext=extension(filename))


class ListingScreenshot(models.Model):
    """A screenshot (analytics, profile page). Re-encoded, metadata stripped, stored
    under a random name; a thumbnail for cards and the review queue. Public media
    only while the listing is publicly visible (``listings.media``): pages take
    the URLs from ``image_src`` / ``thumb_src``, never from the fields."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="screenshots")
    image = models.ImageField(
        _("image"),
        upload_to=screenshot_path,
        storage=screenshot_storage,
        width_field="width",
        height_field="height",
    )
    thumbnail = models.ImageField(
        _("thumbnail"), upload_to=thumbnail_path, storage=screenshot_storage, blank=True
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    caption = models.CharField(_("caption"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("screenshot")
        verbose_name_plural = _("screenshots")

    def __str__(self) -> str:
        return gettext("screenshot %(screenshot)s of listing %(listing)s") % {
            "screenshot": self.pk,
            "listing": self.listing_id,
        }

    def _src(self, kind: str, name: str) -> str:
        # ``self.listing`` is the parent row already loaded (listing.screenshots.all()
        # and the detail page's prefetch set it): no query.
        return screenshot_src(
            self.listing.state in Listing.MEDIA_PUBLIC_STATES,
            self.listing_id,
            self.pk,
            name,
            kind,
            settings.MEDIA_URL,
        )

    @property
    def image_src(self) -> str:
        """The URL of the full image for any page (``listings.media.screenshot_src``)."""
        return self._src("image", self.image.name)

    @property
    def thumb_src(self) -> str:
        """The URL of the thumbnail (the image where there is none)."""
        if self.thumbnail.name:
            return self._src("thumb", self.thumbnail.name)
        return self.image_src


class ScreenshotMove(models.Model):
    """Work left on a listing's screenshot files (``listings.services.media``): a
    move toward the listing's current visibility (``pending``, set in the same
    transaction as the state change), and files a move replaced that are still to
    be deleted (``orphans``, names as ``listings.media`` stores them). A row exists
    only while there is work; the task after commit and the sweeper remove it.
    ``listing_id`` is no foreign key: orphans outlive a deleted listing."""

    listing_id = models.BigIntegerField(_("listing"), unique=True)
    pending = models.BooleanField(_("move pending"), default=True)
    orphans = models.JSONField(_("old files to delete"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("screenshot move")
        verbose_name_plural = _("screenshot moves")

    def __str__(self) -> str:
        return f"screenshot move of listing {self.listing_id}"


class ListingEvent(models.Model):
    """One row per state change (who, when, from, to, why). Append-only."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=20, choices=Listing.State.choices)
    to_state = models.CharField(max_length=20, choices=Listing.State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("listing event")
        verbose_name_plural = _("listing events")

    def __str__(self) -> str:
        return f"{self.listing_id}: {self.get_from_state_display()} → {self.get_to_state_display()}"


class WatchedListing(models.Model):
    """A listing on a buyer's watchlist."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watched_listings"
    )
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="watchers")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("watched listing")
        verbose_name_plural = _("watched listings")
        constraints = [
            models.UniqueConstraint(fields=["user", "listing"], name="watch_once_per_listing")
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} watches listing {self.listing_id}"


class SavedSearch(models.Model):
    """A buyer's saved catalogue search. With ``alerts`` on, a job e-mails the
    listings published after ``checked_at`` that match it (``listings.watch``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    #: The catalogue's own query string, canonical (sorted keys; page and cursor dropped).
    query = models.CharField(_("search"), max_length=2000)
    alerts = models.BooleanField(_("e-mail me new matches"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    #: Listings published after this moment are new to this search.
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        constraints = [
            models.UniqueConstraint(fields=["user", "query"], name="saved_search_once_per_user")
        ]
        indexes = [models.Index(fields=["alerts", "checked_at"], name="saved_search_due")]

    def __str__(self) -> str:
        return f"saved search {self.pk} of user {self.user_id}"
