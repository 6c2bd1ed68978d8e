"""A listing's title and description are read by the detectors: the seller is
warned before submitting, and the moderators' review shows the findings and has
them as automatic reports in the queue."""

from __future__ import annotations

import pytest

from governance.detectors import DETECTOR_VERSION
from governance.models import Report
from listings import services
from tests.factories import UserFactory, VerifiedUserFactory
from tests.totp import force_login_with_second_factor

from .helpers import draft, moderator

pytestmark = pytest.mark.django_db

TITLE = "美妆号出售 加V：meimei_2024"
DESCRIPTION = "Original beauty reviews. 有意电话 138 0013 8000"


def test_the_seller_is_warned_before_submitting_a_text_with_a_wechat_id_and_a_phone(client):
    seller = VerifiedUserFactory()
    listing = draft(seller, title=TITLE, description=DESCRIPTION)
    client.force_login(seller)

    page = client.get(f"/sell/{listing.pk}/review/").content.decode()
    assert "Please check your text before you submit it." in page
    assert "meimei_2024" in page and "138 0013 8000" in page  # the author sees their words
    assert "Submit for review" in page  # a warning, not a refusal

    response = client.post(
        f"/sell/{listing.pk}/offer/",
        {"title": TITLE, "price": "2400", "description": DESCRIPTION, "action": "next"},
        follow=True,
    )
    assert "Saved, but your text seems to break a rule" in response.content.decode()
    page = client.get(f"/sell/{listing.pk}/offer/").content.decode()
    assert "Please check your text before you submit it." in page


def test_a_clean_listing_shows_no_warning_and_files_nothing(client):
    seller = VerifiedUserFactory()
    listing = draft(seller)
    client.force_login(seller)
    assert (
        "Please check your text" not in client.get(f"/sell/{listing.pk}/review/").content.decode()
    )
    services.submit_listing(seller=seller, listing_id=listing.pk)
    assert not Report.objects.exists()


def test_submitting_files_findings_that_the_moderators_review_shows(client):
    seller = VerifiedUserFactory()
    listing = draft(seller, title=TITLE, description=DESCRIPTION)
    services.submit_listing(seller=seller, listing_id=listing.pk)

    report = Report.objects.get(subject_id=str(listing.pk), rule__code="BEH-08")
    assert report.source == Report.Source.AUTOMATIC and report.accused_id == seller.pk
    excerpts = " ".join(e["excerpt"] for e in report.evidence)
    assert "meimei_2024" in excerpts and "138 0013 8000" in excerpts
    assert {e["detector_version"] for e in report.evidence} == {DETECTOR_VERSION}

    force_login_with_second_factor(client, moderator())
    page = client.get(f"/admin/listings/pendinglisting/{listing.pk}/change/").content.decode()
    assert "Detector findings" in page
    assert "<mark>加V：meimei_2024</mark>" in page


def test_editing_a_published_listing_files_findings_on_the_new_text():
    from .helpers import published

    seller = VerifiedUserFactory()
    listing = published(seller, mod=moderator())
    assert not Report.objects.exists()
    services.update_listing(
        seller=seller, listing_id=listing.pk, data={"description": "tele: @quickflip"}
    )
    report = Report.objects.get(subject_id=str(listing.pk))
    assert report.rule.code == "BEH-08" and "quickflip" in report.evidence[0]["excerpt"]


def test_an_unverified_seller_sees_the_warning_too(client):
    seller = UserFactory()
    listing = draft(seller, description="WeChat me: wxid_seller2")
    client.force_login(seller)
    assert "Please check your text" in client.get(f"/sell/{listing.pk}/review/").content.decode()
