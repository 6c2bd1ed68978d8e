"""seed_demo's listings: varied, idempotent, searchable."""

import io

import pytest

from accounts import seed as accounts_seed
from listings import seed as listings_seed
from listings.models import Listing

pytestmark = pytest.mark.django_db


def _seed(n):
    # The listings part of ``seed_demo``, after the accounts part it builds on.
    context: dict = {}
    accounts_seed.seed(context=context, options={}, out=io.StringIO())
    listings_seed.seed(context=context, options={"listings": n}, out=io.StringIO())


def test_seed_demo_listings_are_varied_idempotent_and_searchable(client):
    _seed(120)
    demo = Listing.objects.filter(seller__email__endswith="@demo.handoff.test")
    assert demo.count() == 120
    assert demo.values("platform").distinct().count() >= 8
    assert demo.filter(state="PUBLISHED").count() > 100
    assert demo.filter(state="PENDING_REVIEW").exists()
    assert demo.filter(title__regex=r"[\u4e00-\u9fff]").exists()
    assert demo.filter(title__regex=r"^[A-Za-z]").exists()
    assert not demo.filter(state="PUBLISHED", search_vector__isnull=True).exists()

    _seed(120)
    assert demo.count() == 120
    _seed(130)
    assert demo.count() == 130

    response = client.get("/listings/", {"q": "美妆博主"})
    assert response.context["page_obj"].listings
    assert client.get("/").status_code == 200
