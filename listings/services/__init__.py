"""Writes that matter in listings, by capability: ``transitions`` (the transition
table and the services escrow calls), ``seller``, ``moderation``, ``tiers``,
``common``. Callers import from here."""

from .common import (
    REQUIRED_FOR_SUBMIT,
    SEARCH_FIELDS,
    SELLER_FIELDS,
    handle_fingerprint,
    normalise_handle,
    refresh_search_vector,
)
from .moderation import (
    approve_listing,
    mark_ownership_proven,
    reject_listing,
    remove_listing,
    remove_listings_of_seller,
    restore_listing,
    set_listing_featured,
)
from .seller import (
    add_screenshot,
    create_listing,
    delete_screenshot,
    submit_listing,
    update_listing,
    withdraw_listing,
)
from .tiers import refresh_search_tiers
from .transitions import (
    can_transition,
    lock_listing_for_sale,
    mark_sold,
    mark_sold_many,
    release_reservation,
    reserve_listing,
    reserve_locked_listing,
    transition_listing,
    withdraw_after_exposure,
)

__all__ = [
    "REQUIRED_FOR_SUBMIT",
    "SEARCH_FIELDS",
    "SELLER_FIELDS",
    "add_screenshot",
    "approve_listing",
    "can_transition",
    "create_listing",
    "delete_screenshot",
    "handle_fingerprint",
    "lock_listing_for_sale",
    "mark_ownership_proven",
    "mark_sold",
    "mark_sold_many",
    "normalise_handle",
    "refresh_search_tiers",
    "refresh_search_vector",
    "reject_listing",
    "release_reservation",
    "remove_listing",
    "remove_listings_of_seller",
    "reserve_listing",
    "reserve_locked_listing",
    "restore_listing",
    "set_listing_featured",
    "submit_listing",
    "transition_listing",
    "update_listing",
    "withdraw_after_exposure",
    "withdraw_listing",
]
