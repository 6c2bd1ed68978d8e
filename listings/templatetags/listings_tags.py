from __future__ import annotations

import functools

from django import template
from django.conf import settings
from django.templatetags.static import PrefixNode
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kernel.templatetags import handoff as shared
from listings.media import screenshot_src
from listings.models import Listing

MEDIA_PUBLIC_STATES = Listing.MEDIA_PUBLIC_STATES

register = template.Library()


# The site's own filters (kernel), under the names listings' templates use: a
# card's ``money`` is the site's ``price`` (no zero fraction: "US$1,499").
money = register.filter("money", shared.price, needs_autoescape=True)
compact = register.filter("compact", shared.compact)


@functools.cache
def _choice_labels(choices: type, language: str | None) -> dict[str, str]:
    with translation.override(language):
        return {value: str(label) for value, label in choices.choices}


def choice_label(choices: type, value) -> str:
    """The label of ``value`` among the ``TextChoices`` ``choices``, in the active
    language: what ``get_FOO_display()`` returns, translated once per language and
    process. (``get_FOO_display`` hashes, so translates, every choice's lazy label
    on each call: eleven translations per platform name, twice per card.)"""
    return _choice_labels(choices, translation.get_language()).get(value, value)


@register.filter
def platform_label(value) -> str:
    """``listing.platform|platform_label``: ``listing.get_platform_display``."""
    from listings.models import Platform

    return choice_label(Platform, value)


@register.filter
def region_label(value) -> str:
    """``listing.audience_region|region_label``: ``get_audience_region_display``."""
    from listings.models import Region

    return choice_label(Region, value)


#: The labels of a listing card (``{% card_labels as labels %}``).
CARD_LABELS = {
    "followers": gettext_lazy("Followers"),
    "views": gettext_lazy("Avg. views"),
    "price": gettext_lazy("Price"),
}


@functools.cache
def _card_labels(language: str | None) -> dict[str, str]:
    with translation.override(language):
        return {name: str(label) for name, label in CARD_LABELS.items()}


@register.simple_tag
def card_labels() -> dict[str, str]:
    """The card's labels in the active language, translated once per language and
    process rather than three ``{% trans %}`` per card (fifty cards a page)."""
    return _card_labels(translation.get_language())


def sales_text(n) -> str:
    """ "3 sales" / "3 笔成交": the card's count of a seller's completed sales."""
    n = int(n)
    return ngettext("%(n)s sale", "%(n)s sales", n) % {"n": n}


@register.filter
def cover_src(listing, media_prefix=None) -> str:
    """``listing|cover_src(media_prefix)``: the URL of a card's cover thumbnail (the
    ``cover_shot`` column of ``selectors._cards``) by the one rule of
    ``listings.media.screenshot_src``; "" without one — and for a listing whose
    screenshots are not public media: a card is what buyers see (a watched listing that was sold shows
    its placeholder, not an image its viewer may not open). Called once per card:
    kept to a few attribute reads."""
    cover = getattr(listing, "cover_shot", None)
    if not cover or listing.state not in MEDIA_PUBLIC_STATES:
        return ""
    return cover_url(listing, media_prefix, cover)


def cover_url(listing, media_prefix=None, cover=None) -> str:
    """The cover's URL whatever the listing's state (the moderators' list)."""
    shot_id, _sep, name = (cover or getattr(listing, "cover_shot", None) or "").partition(":")
    if not name:
        return ""
    return screenshot_src(
        listing.state in MEDIA_PUBLIC_STATES,
        listing.pk,
        shot_id,
        name,
        "thumb",
        settings.MEDIA_URL if media_prefix is None else media_prefix,
    )


@register.simple_tag
def listing_cards(listings) -> str:
    """``{% listing_cards listings %}``: the cards of ``listings`` (one listing or
    several), rendered by the Jinja2 engine (``listings/cards.html``)."""
    from django.template.loader import get_template

    from listings.models import Listing

    if isinstance(listings, Listing):
        listings = [listings]
    template = get_template("listings/cards.html", using="jinja2")
    context = {"listings": listings, "media_prefix": PrefixNode.handle_simple("MEDIA_URL")}
    # Jinja2 escaped every value it printed (autoescape is on).
    return mark_safe(template.render(context))  # noqa: S308  # nosec B308 B703


@functools.cache
def _detail_url_format(script_prefix: str) -> str:
    marker = 987654321
    return reverse("listings:detail", args=[marker]).replace(str(marker), "%d")


@register.filter
def detail_url(pk) -> str:
    """``listing.pk|detail_url``: ``{% url 'listings:detail' listing.pk %}``, with
    ``reverse`` run once per process (and script prefix) rather than once per card."""
    return _detail_url_format(get_script_prefix()) % int(pk)


@register.filter
def months_text(months):
    if months is None:
        return ""
    years, rest = divmod(int(months), 12)
    if years and rest:
        return _("%(y)s y %(m)s mo") % {"y": years, "m": rest}
    if years:
        return _("%(y)s y") % {"y": years}
    return _("%(m)s mo") % {"m": rest}


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (None removes one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return "?" + encoded if encoded else "?"


@register.simple_tag
def seller_listings(seller):
    """``{% seller_listings seller as listings %}``: the seller's published listings,
    for their public page (escrow's template; the view stays escrow's)."""
    from listings.selectors import published_of_seller

    return published_of_seller(seller.pk)


@register.simple_tag(takes_context=True)
def is_watched(context, listing) -> bool:
    """``{% is_watched listing as watched %}``: on the visitor's watchlist?"""
    from listings.watch import is_watched as watched

    return watched(context["user"], listing.pk)
