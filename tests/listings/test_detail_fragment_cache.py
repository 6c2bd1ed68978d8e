"""The listing page's fragment cache (listings.fragments, issue 10): the parts every
visitor sees alike come from the cache, after a live access check; the buy box,
owner and Report links and the CSRF token are each visitor's own; every change
the page shows, and any loss of publication, takes effect at once."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts import services as accounts_services
from accounts.models import User
from listings import fragments, services
from listings.models import Listing
from tests.factories import UserFactory, VerifiedUserFactory
from tests.listings.helpers import moderator, published

pytestmark = pytest.mark.django_db(transaction=True)
State = Listing.State
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HX_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.FRAGMENT_CACHE = True
    cache.delete_many([fragments.GEN_KEY, fragments.ALL_KEY])
    yield
    cache.clear()


@pytest.fixture
def mod():
    return moderator()


@pytest.fixture
def seller():
    return VerifiedUserFactory(display_name="Cached Seller")


@pytest.fixture
def live(seller, mod):
    return published(seller, mod, screenshots=2, title="Cached beauty account")


def _url(listing) -> str:
    return f"/listings/{listing.pk}/"


def _is_cached(listing) -> bool:
    _, entry, _ = fragments.lookup_listing(fragments.detail_key(listing.pk), listing.pk)
    return entry is not None


def _tokens(html: str) -> list[str]:
    return TOKEN.findall(html)


def _without_tokens(html: str) -> str:
    """The page with each CSRF token (masked afresh on every render) blanked out."""
    html = TOKEN.sub('name="csrfmiddlewaretoken" value="…"', html)
    return HX_TOKEN.sub('"X-CSRFToken": "…"', html)


def test_a_hit_serves_the_same_page_as_a_miss_and_as_the_page_without_the_cache(
    client, settings, live
):
    settings.FRAGMENT_CACHE = False
    uncached = client.get(_url(live))
    settings.FRAGMENT_CACHE = True
    assert not _is_cached(live)
    miss = client.get(_url(live))
    assert _is_cached(live)
    hit = client.get(_url(live))
    assert uncached.status_code == miss.status_code == hit.status_code == 200
    page = _without_tokens(hit.content.decode())
    assert page == _without_tokens(miss.content.decode())
    assert page == _without_tokens(uncached.content.decode())
    for shown in ("Cached beauty account", "Cached Seller", 'class="shot-gallery"', "Figures"):
        assert shown in page
    assert page.count("<li><a href=") == 2  # both screenshots
    assert 'id="transfer-policy"' in page
    assert "secret_beauty_handle" not in page  # the handle is never rendered


def test_a_hit_runs_only_the_access_check(client, live):
    with CaptureQueriesContext(connection) as ctx:
        client.get(_url(live))
    miss = [q["sql"] for q in ctx.captured_queries]  # read now: the next request resets the log
    with CaptureQueriesContext(connection) as ctx:
        client.get(_url(live))  # the parts from the cache; the whole page kept now
    second = [q["sql"] for q in ctx.captured_queries]
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(_url(live))
    hit = [q["sql"] for q in ctx.captured_queries]
    assert response.status_code == 200
    assert len(second) == 1 and '"handle"' not in second[0], second  # the page head
    assert len(hit) == 1, hit
    assert 'FROM "listings_listing"' in hit[0]  # the access check
    assert '"handle"' not in hit[0]
    # The miss read the listing once (that read is its access check), its
    # screenshots and the seller's reviews (cached with the shared parts).
    assert sum('FROM "listings_listing"' in s for s in miss) == 1, miss
    assert any("listings_listingscreenshot" in s for s in miss)
    assert any('"escrow_review"' in s for s in miss)
    assert "Reviews of the seller" in response.content.decode()


def test_a_signed_in_hit_adds_only_the_session_and_user_lookups(
    client, live, django_assert_max_num_queries
):
    client.force_login(UserFactory())
    client.get(_url(live))
    # The user, the page head's access check (with the Open Graph description) and
    # whether this buyer watches the listing (the session comes from the cache).
    with django_assert_max_num_queries(3):
        assert client.get(_url(live)).status_code == 200


def test_each_visitor_gets_their_own_buy_box_csrf_token_and_links(client, seller, live):
    client.force_login(UserFactory())
    page_a = client.get(_url(live)).content.decode()
    assert _is_cached(live)
    tokens_a = _tokens(page_a)
    assert tokens_a  # the buy form (and the header's sign-out form)
    manage = reverse("listings:edit_review", args=[live.pk])
    buy = reverse("escrow:buy", args=[live.pk])
    assert buy in page_a
    assert manage not in page_a
    assert "/report/" in page_a  # a signed-in stranger may report the listing

    owner = Client()
    owner.force_login(seller)
    page_owner = owner.get(_url(live)).content.decode()
    assert manage in page_owner  # the seller's own link, live
    assert "/report/" not in page_owner  # nobody reports their own listing
    assert buy not in page_owner
    assert not any(t in page_owner for t in tokens_a)

    buyer_b = Client()
    buyer_b.force_login(UserFactory())
    page_b = buyer_b.get(_url(live)).content.decode()
    tokens_b = _tokens(page_b)
    assert tokens_b
    assert not set(tokens_a) & set(tokens_b)
    assert not any(t in page_b for t in tokens_a)
    assert buy in page_b
    assert manage not in page_b

    anonymous = Client().get(_url(live)).content.decode()
    assert not any(t in anonymous for t in tokens_a + tokens_b)
    assert manage not in anonymous
    assert "/report/" not in anonymous


def test_an_edited_and_reapproved_listing_shows_its_new_text(client, seller, mod, live):
    assert "Cached beauty account" in client.get(_url(live)).content.decode()
    services.update_listing(seller=seller, listing_id=live.pk, data={"title": "Renamed account"})
    assert client.get(_url(live)).status_code == 404  # back in review
    services.approve_listing(moderator=mod, listing_id=live.pk)
    page = client.get(_url(live)).content.decode()
    assert "Renamed account" in page
    assert "Cached beauty account" not in page


def test_a_new_rating_and_a_new_seller_name_show_at_once(client, seller, live):
    page = client.get(_url(live)).content.decode()
    assert "No ratings yet" in page
    accounts_services.record_review(seller_id=seller.pk, rating=5)
    page = client.get(_url(live)).content.decode()
    assert "No ratings yet" not in page
    assert "★ 5" in page
    seller.display_name = "Renamed Seller"
    seller.save()
    page = client.get(_url(live)).content.decode()
    assert "Renamed Seller" in page
    assert "Cached Seller" not in page


def test_a_removed_screenshot_is_gone_once_the_listing_is_back(client, seller, mod, live):
    assert client.get(_url(live)).content.decode().count("<li><a href=") == 2
    shot = live.screenshots.order_by("position").first()
    services.delete_screenshot(seller=seller, listing_id=live.pk, screenshot_id=shot.pk)
    services.approve_listing(moderator=mod, listing_id=live.pk)
    page = client.get(_url(live)).content.decode()
    assert page.count("<li><a href=") == 1
    assert shot.image.name not in page and shot.image_src not in page


def test_a_withdrawn_or_removed_listing_is_never_served_from_the_cache(client, seller, mod):
    first = published(seller, mod, title="Soon withdrawn")
    second = published(seller, mod, handle="@second", title="Soon removed")
    for listing in (first, second):
        assert client.get(_url(listing)).status_code == 200
        assert _is_cached(listing)
    services.withdraw_listing(seller=seller, listing_id=first.pk)
    services.remove_listing(actor=mod, listing_id=second.pk, reason="fake figures")
    stranger = Client()
    stranger.force_login(UserFactory())
    for listing in (first, second):
        assert client.get(_url(listing)).status_code == 404
        assert stranger.get(_url(listing)).status_code == 404


def test_the_access_check_guards_the_cache_even_without_an_invalidation(client, seller, live):
    assert client.get(_url(live)).status_code == 200
    # A write that sends no signal (no generation bump): the cached entry stays current.
    Listing.objects.filter(pk=live.pk).update(state=State.WITHDRAWN)
    assert _is_cached(live)
    assert client.get(_url(live)).status_code == 404
    owner = Client()
    owner.force_login(seller)
    own = owner.get(_url(live))
    assert own.status_code == 200
    assert "This listing is not public" in own.content.decode()


def test_languages_are_cached_apart(client, live):
    english = client.get(_url(live), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(_url(live), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Figures" in english
    assert "Figures" not in chinese


def test_the_verified_badge_is_not_cached_past_the_verification(client, seller, live):
    User.objects.filter(pk=seller.pk).update(verified_until=timezone.now() + timedelta(seconds=2))
    page = client.get(_url(live)).content.decode()
    assert ">Verified<" in page
    time.sleep(2.2)
    page = client.get(_url(live)).content.decode()
    assert ">Not verified<" in page


# ------------------------------------------------- the anonymous visitor's whole page


def _page_is_kept(listing, language="en") -> bool:
    with translation.override(language):
        _, entry, _ = fragments.lookup_listing(fragments.page_key(listing.pk), listing.pk)
    return entry is not None


def _seen_twice(listing) -> str:
    """Two anonymous views: the first keeps the parts, the second the whole page."""
    Client().get(_url(listing))
    return Client().get(_url(listing)).content.decode()


def test_a_listing_seen_once_keeps_its_parts_and_its_second_view_keeps_the_page(live):
    first = Client().get(_url(live)).content.decode()
    assert _is_cached(live) and not _page_is_kept(live)
    second = Client().get(_url(live)).content.decode()
    assert _page_is_kept(live)
    third = Client().get(_url(live)).content.decode()
    assert first == second == third


def test_an_anonymous_visitor_gets_the_kept_page_with_no_token_and_no_cookie(live):
    page_first = _seen_twice(live)
    assert _page_is_kept(live)
    second = Client(enforce_csrf_checks=True)
    with CaptureQueriesContext(connection) as ctx:
        response = second.get(_url(live))
    assert len(ctx.captured_queries) == 1  # the access check, nothing else
    page_second = response.content.decode()
    assert page_second == page_first  # the same bytes for every visitor…
    assert not _tokens(page_second) and "X-CSRFToken" not in page_second
    assert not response.cookies  # …and no cookie: nothing of theirs, nothing to keep apart
    assert "HANDOFFSHELL" not in page_second  # no stand-in left in the page
    # The language menu works from the kept page (a GET back to the listing).
    switched = second.get("/i18n/switch/", {"language": "zh-hans", "next": _url(live)})
    assert switched.status_code == 302 and switched.url == _url(live)
    assert "数据" in second.get(_url(live)).content.decode()


def test_a_signed_in_visitor_never_gets_the_anonymous_page(live):
    _seen_twice(live)
    assert _page_is_kept(live)
    member = Client()
    member.force_login(UserFactory(display_name="Member Mo"))
    page = member.get(_url(live)).content.decode()
    assert "Member Mo" in page  # their own header
    assert "/report/" in page  # and their Report link
    assert reverse("account_login") not in page


def test_waiting_messages_are_shown_live_and_never_kept(live):
    visitor = Client()
    visitor.force_login(UserFactory())
    visitor.post(reverse("account_logout"))  # "You have signed out." waits for the next page
    page = visitor.get(_url(live)).content.decode()
    assert "You have signed out." in page
    assert not _page_is_kept(live)
    assert "You have signed out." not in _seen_twice(live)
    assert _page_is_kept(live)


def test_a_query_string_gets_the_page_rendered_for_its_own_path(live):
    _seen_twice(live)
    assert _page_is_kept(live)
    page = Client().get(_url(live) + "?from=newsletter").content.decode()
    assert f'value="/listings/{live.pk}/?from=newsletter"' in page
    plain = Client().get(_url(live)).content.decode()
    assert "newsletter" not in plain


def test_a_change_to_the_listing_reaches_the_kept_page(seller, mod, live):
    _seen_twice(live)
    assert _page_is_kept(live)
    seller.display_name = "Studio Renamed"
    seller.save()
    page = Client().get(_url(live)).content.decode()
    assert "Studio Renamed" in page
    assert "Cached Seller" not in page


# ------------------------------------------------- what invalidates a listing's page


def test_a_checkout_makes_the_kept_page_stale(live):
    """The checkout reserves the listing with save() (post_save): the reservation
    reaches the cache at once."""
    from escrow import services as escrow_services

    _seen_twice(live)
    assert _page_is_kept(live) and _is_cached(live)
    escrow_services.open_deal(buyer=VerifiedUserFactory(), listing_id=live.pk, now=timezone.now())
    assert not _page_is_kept(live) and not _is_cached(live)
    response = Client().get(_url(live))
    assert response.status_code == 404  # reserved: no longer on sale to anyone


def test_a_change_to_one_listing_keeps_the_other_listings_pages(seller, mod, live):
    other = published(VerifiedUserFactory(), mod, handle="@other", title="Untouched account")
    for listing in (live, other):
        _seen_twice(listing)
        assert _page_is_kept(listing) and _is_cached(listing)
    services.update_listing(seller=seller, listing_id=live.pk, data={"title": "Renamed"})
    assert not _is_cached(live)
    assert _page_is_kept(other) and _is_cached(other)  # another seller's listing: kept


def test_a_sellers_change_reaches_every_one_of_their_listings(seller, mod, live):
    second = published(seller, mod, handle="@second", title="Second account")
    bystander = published(VerifiedUserFactory(), mod, handle="@third", title="Third account")
    for listing in (live, second, bystander):
        _seen_twice(listing)
    seller.display_name = "Studio Renamed"
    seller.save()
    for listing in (live, second):
        assert not _page_is_kept(listing)
        assert "Studio Renamed" in Client().get(_url(listing)).content.decode()
    assert _page_is_kept(bystander)


def test_bump_makes_every_listing_page_stale(live):
    _seen_twice(live)
    assert _page_is_kept(live)
    with transaction.atomic():
        fragments.bump()  # what a bulk write that sends no signal calls
    assert not _page_is_kept(live) and not _is_cached(live)


def test_a_render_that_raced_a_change_is_never_served(seller, live):
    key = fragments.detail_key(live.pk)
    _, _, token = fragments.lookup_listing(key, live.pk)  # read before the data…
    seller.display_name = "Changed meanwhile"
    seller.save()  # …a change commits…
    fragments.store(key, token, {"parts": {}, "until": None})  # …then the old render is stored
    _, entry, _ = fragments.lookup_listing(key, live.pk)
    assert entry is None


def test_an_evicted_version_is_replaced_not_reused(live):
    _seen_twice(live)
    assert _page_is_kept(live)
    cache.delete(f"listings:version:{live.pk}")  # evicted under memory pressure
    assert not _page_is_kept(live)  # the entry stored under the old version no longer counts


def test_a_new_price_reaches_the_kept_page(seller, mod, live):
    _seen_twice(live)
    assert _page_is_kept(live)
    services.update_listing(seller=seller, listing_id=live.pk, data={"price": 777_00})
    services.approve_listing(moderator=mod, listing_id=live.pk)  # an edit goes back to review
    page = Client().get(_url(live)).content.decode()
    assert "$777" in page


def test_the_kept_page_offers_a_visitor_the_sign_in_link_not_the_buy_form(live):
    _seen_twice(live)
    assert _page_is_kept(live)
    page = Client().get(_url(live)).content.decode()  # served from the kept page
    assert f"{reverse('account_login')}?next={_url(live)}" in page
    assert reverse("escrow:buy", args=[live.pk]) not in page


def test_only_the_listings_own_path_is_kept(live):
    odd = f"/listings/00{live.pk}/"  # the same listing, written with leading zeros
    assert Client().get(odd).status_code == 200
    assert not _page_is_kept(live)
    _seen_twice(live)
    assert _page_is_kept(live)
    assert odd not in Client().get(_url(live)).content.decode()


def test_a_visitor_with_a_message_waiting_is_not_served_the_kept_page(live):
    _seen_twice(live)
    assert _page_is_kept(live)
    visitor = Client()
    visitor.force_login(UserFactory())
    visitor.post(reverse("account_logout"))
    assert "You have signed out." in visitor.get(_url(live)).content.decode()


def test_a_bulk_sale_refreshes_every_page_of_its_seller_by_itself():
    """``mark_sold_many`` (the release job's batch) sends no signal, and the caller
    writes the sellers' standings in bulk: listings itself makes the seller's other
    pages and the catalogue stale, with no call from escrow."""
    seller = VerifiedUserFactory()
    sold, other = published(seller), published(seller, handle="@second")
    services.reserve_listing(listing_id=sold.pk)
    Client().get(reverse("listings:detail", args=[other.pk]))
    key = fragments.detail_key(other.pk)
    assert fragments.lookup_listing(key, other.pk)[1] is not None
    gen = fragments.lookup(key=fragments.home_key())[2]

    with transaction.atomic():
        services.mark_sold_many(listing_ids=[sold.pk], reasons={}, now=timezone.now())

    assert fragments.lookup_listing(key, other.pk)[1] is None
    assert fragments.lookup(key=fragments.home_key())[2] != gen
