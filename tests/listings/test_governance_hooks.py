"""listings follows governance: bans and freezes take listings down, removals and
reinstatements of reported listings, reports against listings."""

import pytest

from governance import signals as gov
from governance.registry import get_reportable, owner_of, text_of
from listings.models import Listing
from tests.factories import UserFactory, VerifiedUserFactory
from tests.listings.helpers import draft, moderator, published

pytestmark = pytest.mark.django_db
State = Listing.State


def test_listings_are_reportable_with_their_owner_and_text():
    seller = VerifiedUserFactory()
    listing = published(seller, description="加微信 wx123 私下交易")
    entry = get_reportable(listing)
    assert entry is not None
    assert owner_of(listing) == seller
    assert "wx123" in text_of(listing)
    assert entry.visible_to(UserFactory(), listing)
    hidden = draft(seller, handle="@x")
    assert not entry.visible_to(UserFactory(), hidden)
    assert entry.visible_to(seller, hidden)


def test_a_ban_takes_the_sellers_listings_down():
    seller = VerifiedUserFactory()
    mod = moderator()
    live = published(seller, mod)
    pending = draft(seller, handle="@p")
    from listings import services

    services.submit_listing(seller=seller, listing_id=pending.pk)
    gov.user_banned.send(sender=None, user=seller, sanction=None)
    assert set(Listing.objects.filter(seller=seller).values_list("state", flat=True)) == {
        State.REMOVED
    }
    assert live.pk


def test_a_freeze_hides_published_listings_and_the_unfreeze_shows_them_again(client):
    seller = VerifiedUserFactory()
    live = published(seller)
    gov.user_frozen.send(sender=None, user=seller, sanction=None)
    live.refresh_from_db()
    assert live.state == State.REMOVED
    assert client.get(f"/listings/{live.pk}/").status_code == 404

    gov.user_unfrozen.send(sender=None, user=seller, sanction=None)
    live.refresh_from_db()
    assert live.state == State.PUBLISHED
    assert client.get(f"/listings/{live.pk}/").status_code == 200


def test_content_removal_and_reinstatement():
    seller = VerifiedUserFactory()
    live = published(seller)
    gov.content_removal_requested.send(sender=None, subject=live, violation=None)
    live.refresh_from_db()
    assert live.state == State.REMOVED
    gov.content_reinstated.send(sender=None, subject=live, violation=None)
    live.refresh_from_db()
    assert live.state == State.PUBLISHED

    never_published = draft(seller, handle="@never")
    gov.content_removal_requested.send(sender=None, subject=never_published, violation=None)
    gov.content_reinstated.send(sender=None, subject=never_published, violation=None)
    never_published.refresh_from_db()
    assert never_published.state == State.REMOVED


def test_buyers_see_a_report_link_on_the_detail_page(client):
    seller = VerifiedUserFactory()
    live = published(seller)
    client.force_login(VerifiedUserFactory())
    page = client.get(f"/listings/{live.pk}/").content.decode()
    assert "/report/" in page
    client.force_login(seller)
    assert "/report/" not in client.get(f"/listings/{live.pk}/").content.decode()


@pytest.mark.parametrize(
    ("lang", "frozen", "ruled"),
    [
        ("en", "Hidden while your account is frozen.", "breaking rule LST-03"),
        ("zh-hans", "您的账号被冻结期间暂不展示。", "因违反平台规则 LST-03 被下架"),
    ],
)
def test_the_seller_reads_why_the_system_took_a_listing_down_in_their_language(
    client, lang, frozen, ruled
):
    from types import SimpleNamespace

    seller = VerifiedUserFactory()
    hidden, removed = published(seller, handle="@hidden"), published(seller, handle="@ruled")
    gov.user_frozen.send(sender=None, user=seller, sanction=None)
    breach = SimpleNamespace(rule=SimpleNamespace(code="LST-03"))
    gov.user_unfrozen.send(sender=None, user=seller, sanction=None)
    gov.content_removal_requested.send(sender=None, subject=removed, violation=breach)
    gov.user_frozen.send(sender=None, user=seller, sanction=None)
    client.force_login(seller)
    client.cookies["django_language"] = lang
    dashboard = client.get("/sell/").content.decode()
    review = client.get(f"/sell/{removed.pk}/review/").content.decode()

    assert frozen in dashboard and ruled in dashboard and ruled in review
    assert "(governance)" not in dashboard and "removed for breaking rule" not in dashboard
    hidden.refresh_from_db()
    assert hidden.state == State.REMOVED  # the unfreeze still finds what a freeze hid


@pytest.mark.parametrize(
    ("recorded", "en", "zh"),
    [
        (
            "hidden while the seller's account is frozen (governance)",
            "Hidden while your account is frozen.",
            "您的账号被冻结期间暂不展示。",
        ),
        (
            "the seller's account was closed (governance)",
            "Taken down because your account was closed.",
            "因您的账号已注销而下架。",
        ),
        (
            "removed (governance)",
            "Taken down after a moderator's decision.",
            "经审核员裁定后下架。",
        ),
        (
            "removed for breaking rule LST-03",
            "Removed for breaking rule LST-03 of the platform's rules.",
            "因违反平台规则 LST-03 被下架。",
        ),
        ("Blurry screenshots", "Blurry screenshots", "Blurry screenshots"),
        ("", "", ""),
    ],
)
def test_every_recorded_take_down_reason_reads_in_the_sellers_wording(recorded, en, zh):
    from django.utils import translation

    from kernel.system_text import system_text
    from listings.models import Listing

    listing = Listing(moderation_reason=recorded)
    for lang, expected in (("en", en), ("zh-hans", zh)):
        with translation.override(lang):
            assert listing.moderation_reason_text == expected
            assert system_text(recorded, audience="owner") == expected
    with translation.override("en"):  # moderators keep their own wording
        assert system_text("removed (governance)") == "removed (governance)"
