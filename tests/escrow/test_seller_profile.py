"""/sellers/<id>/: a public page for sellers only (a listing ever published).
Buyers, staff and accounts that never published answer exactly as an id that does
not exist, so walking the ids lists no one but sellers."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.db.models import Max

from accounts.models import User
from accounts.permissions import MODERATORS_GROUP
from tests.factories import ListingFactory, UserFactory, VerifiedUserFactory
from tests.totp import TOTP_SECRET, force_login_with_second_factor

pytestmark = pytest.mark.django_db


def _url(pk) -> str:
    return f"/sellers/{pk}/"


@pytest.fixture
def people():
    selling = VerifiedUserFactory(display_name="Selling Sam")
    ListingFactory(seller=selling)
    # Published once, then withdrawn: still a seller with a record to show.
    withdrawn = VerifiedUserFactory(display_name="Former Fay")
    ListingFactory(seller=withdrawn, state="WITHDRAWN")
    sold_out = VerifiedUserFactory(display_name="Sold Sid")
    ListingFactory(seller=sold_out, state="SOLD")
    drafting = VerifiedUserFactory(display_name="Drafting Dan")
    ListingFactory(seller=drafting, state="DRAFT", published_at=None)
    in_review = VerifiedUserFactory(display_name="Reviewed Rita")
    ListingFactory(seller=in_review, state="PENDING_REVIEW", published_at=None)
    buyer = VerifiedUserFactory(display_name="Buying Bea")
    newcomer = UserFactory(display_name="New Nils")
    moderator = UserFactory(is_staff=True, display_name="Moderator Mo")
    moderator.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    TOTP.activate(moderator, TOTP_SECRET)
    closed = VerifiedUserFactory(display_name="Closed Cleo", is_active=False)
    ListingFactory(seller=closed, state="WITHDRAWN")
    return {
        "sellers": [selling, withdrawn, sold_out],
        "others": [drafting, in_review, buyer, newcomer, moderator, closed],
        "moderator": moderator,
    }


def _page(client, pk, response=None) -> bytes:
    """The 404 page without its own path (the language switch links back) and the
    per-response tokens (CSRF, CSP nonce)."""
    response = response or client.get(_url(pk))
    body = response.content.replace(_url(pk).encode(), b"/sellers/ID/")
    return re.sub(rb'(csrfmiddlewaretoken" value=|nonce=|X-CSRFToken": )"[^"]*"', rb'\1""', body)


def test_only_sellers_have_a_public_page(client, people):
    for seller in people["sellers"]:
        response = client.get(_url(seller.pk))
        assert response.status_code == 200, seller.display_name
        assert seller.display_name in response.content.decode()
    for user in people["others"]:
        assert client.get(_url(user.pk)).status_code == 404, user.display_name


def test_walking_the_ids_finds_only_sellers_whoever_asks(client, people):
    """Enumeration: every id from 1 past the last, anonymous, as a buyer and as an
    acting moderator. A non-seller's 404 is byte for byte the 404 of a missing id."""
    last = User.objects.aggregate(m=Max("pk"))["m"]
    seller_ids = {u.pk for u in people["sellers"]}
    missing = client.get(_url(last + 1000))
    assert missing.status_code == 404
    viewers = {"anonymous": None, "buyer": people["others"][2], "moderator": people["moderator"]}
    for name, viewer in viewers.items():
        client.logout()
        if viewer is not None:
            force_login_with_second_factor(client, viewer)
        missing_body = _page(client, last + 1000)
        found = set()
        for pk in range(1, last + 5):
            response = client.get(_url(pk))
            assert response.status_code in (200, 404), (name, pk)
            if response.status_code == 200:
                found.add(pk)
            else:
                assert _page(client, pk, response) == missing_body, (name, pk)
        assert found == seller_ids, name
