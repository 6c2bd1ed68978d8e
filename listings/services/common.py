"""Helpers the listings services share: the seller's fields, the handle's
fingerprint, the search document, validation and the audit snapshot."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404

from kernel.crypto import keyed_hash

from .. import search
from ..handles import clean_handle_for
from ..models import Listing

#: Fields the seller edits; the form steps each cover a subset.
SELLER_FIELDS = (
    "platform",
    "niche",
    "follower_count",
    "avg_views",
    "avg_likes",
    "account_created_on",
    "audience_region",
    "monetised",
    "monthly_revenue",
    "handle",
    "title",
    "description",
    "price",
)
SEARCH_FIELDS = {"title", "niche", "description"}
#: Fields without which a listing cannot be submitted.
REQUIRED_FOR_SUBMIT = ("platform", "niche", "title", "description", "price", "handle")


def normalise_handle(handle: str) -> str:
    """Lower-case, without scheme, ``www.``, ``@`` and trailing slash: one account,
    one fingerprint however the seller typed it."""
    value = (handle or "").strip().lower()
    for prefix in ("https://", "http://"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    if value.startswith("www."):
        value = value[4:]
    return value.lstrip("@").rstrip("/")


def handle_fingerprint(platform: str, handle: str) -> str:
    norm = normalise_handle(handle)
    return keyed_hash(f"listing-handle:{platform}:{norm}") if norm else ""


def refresh_search_vector(listing: Listing) -> None:
    """Recompute the stored search document (PostgreSQL only; see listings.search)."""
    if not search.uses_postgres_search():
        return
    Listing.objects.filter(pk=listing.pk).update(
        search_vector=search.vector_expression(
            title=listing.title, niche=listing.niche, description=listing.description
        )
    )


def _validate(listing: Listing, fields=None) -> None:
    """Model validation (ranges, choices, lengths, constraints) before anything is
    written: of ``fields`` only (a draft may be incomplete), or of everything."""
    if fields is None:
        exclude = ["seller", "search_vector", "ownership_proven_by"]
    else:
        exclude = [f.name for f in Listing._meta.concrete_fields if f.name not in set(fields)]
    listing.full_clean(exclude=exclude)
    if listing.handle and (fields is None or {"handle", "platform"} & set(fields)):
        try:
            clean_handle_for(listing.platform, listing.handle)
        except ValidationError as exc:
            raise ValidationError({"handle": exc.messages}) from None


def _lock_for_seller(seller, listing_id: int) -> Listing:
    """The seller's own listing, locked. Someone else's listing looks missing."""
    try:
        return Listing.objects.select_for_update().get(pk=listing_id, seller=seller)
    except Listing.DoesNotExist:
        raise Http404 from None


def _snapshot(listing: Listing) -> dict:
    """Audit-safe view of a listing (never the handle)."""
    return {
        "state": listing.state,
        "price": listing.price,
        "ownership_proven": listing.ownership_proven,
        "featured": listing.featured,
    }
