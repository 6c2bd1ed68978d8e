"""sitemap.xml (django.contrib.sitemaps): published listings, the public pages of
sellers who have one on sale, and the static pages. An index with one section per
kind, each paginated by Django at 50,000 URLs."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from listings.models import Listing

_PROTOCOL = "https" if settings.SITE_URL.startswith("https:") else "http"


class ListingSitemap(Sitemap):
    protocol = _PROTOCOL
    changefreq = "daily"

    def items(self):
        return (
            Listing.objects.filter(state=Listing.State.PUBLISHED)
            .order_by("pk")
            .only("pk", "updated_at")
        )

    def location(self, item):
        return reverse("listings:detail", args=[item.pk])

    def lastmod(self, item):
        return item.updated_at


class SellerSitemap(Sitemap):
    """Sellers with a listing on sale (others have nothing to show a visitor)."""

    protocol = _PROTOCOL
    changefreq = "weekly"

    def items(self):
        published = Listing.objects.filter(state=Listing.State.PUBLISHED)
        return (
            get_user_model()
            .objects.filter(is_active=True, pk__in=published.values("seller_id"))
            .order_by("pk")
            .only("pk")
        )

    def location(self, item):
        return reverse("escrow:seller_profile", args=[item.pk])


class StaticSitemap(Sitemap):
    protocol = _PROTOCOL
    changefreq = "monthly"

    def items(self):
        return [
            "home",
            "listings:catalogue",
            "pages:how_it_works",
            "pages:terms",
            "pages:privacy",
            "pages:contact",
            "governance:transparency",
        ]

    def location(self, item):
        return reverse(item)


SITEMAPS = {"listings": ListingSitemap, "sellers": SellerSitemap, "pages": StaticSitemap}
