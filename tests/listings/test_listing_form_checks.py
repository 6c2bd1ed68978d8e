"""The listing form's checks say what is wrong, beside the field, keeping what was
typed: a handle limited per platform and free of markup, implausible engagement
confirmed or refused, an image too large (with the limit), a file that is not
what its name says (named)."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kernel.uploads import clean_document, clean_image
from listings.forms import HANDLE_MAX_LENGTH, AccountStepForm, clean_handle_for
from listings.models import Listing, Platform
from tests.factories import VerifiedUserFactory
from tests.listings.helpers import draft

pytestmark = pytest.mark.django_db

ACCOUNT = {
    "platform": "youtube",
    "handle": "@my_channel",
    "niche": "cooking",
    "follower_count": "100",
    "avg_views": "0",
    "avg_likes": "10",
    "audience_region": "na",
    "monthly_revenue": "",
}


def _page(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def _form(**changes):
    data = {**ACCOUNT, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    return AccountStepForm(data)


@pytest.mark.parametrize("platform", [p for p, _ in Platform.choices])
def test_a_handle_longer_than_its_platform_allows_is_refused_with_the_limit(platform):
    limit = HANDLE_MAX_LENGTH[platform]
    at_limit = _form(platform=platform, handle="@" + "a" * limit)
    at_limit.is_valid()
    assert "handle" not in at_limit.errors
    form = _form(platform=platform, handle="@" + "a" * (limit + 1))
    assert not form.is_valid()
    assert f"at most {limit} characters" in " ".join(form.errors["handle"])


@pytest.mark.parametrize(
    "handle",
    [
        "<script>alert(1)</script>",
        "@ok<b>",
        'a"b',
        "x" * 10_025 + "<script>",
        "@name\x00",
        "https://example.com/<script>",
    ],
)
def test_markup_or_a_huge_handle_is_refused(handle):
    form = _form(handle=handle)
    assert not form.is_valid()
    assert "handle" in form.errors


def test_a_profile_url_is_accepted_up_to_its_own_limit():
    assert clean_handle_for("youtube", "https://www.youtube.com/@my_channel")
    form = _form(handle="https://www.youtube.com/" + "a" * 300)
    assert not form.is_valid() and "at most 200 characters" in " ".join(form.errors["handle"])


def test_the_handle_error_keeps_what_was_typed(client):
    seller = VerifiedUserFactory()
    client.force_login(seller)
    response = client.post("/sell/new/", {**ACCOUNT, "handle": "@" + "z" * 40})
    page = _page(response)
    assert 'id="id_handle_error"' in page
    assert "A YouTube handle has at most 30 characters (this one has 40)." in page
    assert 'value="cooking"' in page and 'value="@' + "z" * 40 + '"' in page
    assert not Listing.objects.exists()


def test_likes_above_views_are_refused():
    form = _form(avg_views="1000", avg_likes="5000")
    assert not form.is_valid()
    assert "cannot be more than average views" in " ".join(form.errors["avg_likes"])


def test_likes_far_above_followers_ask_for_a_confirmation_then_pass(client):
    seller = VerifiedUserFactory()
    client.force_login(seller)
    typed = {**ACCOUNT, "follower_count": "100", "avg_likes": "5000"}
    response = client.post("/sell/new/", typed)
    page = _page(response)
    assert "5,000 average likes on 100 followers is unusual" in page
    assert 'type="checkbox" name="confirm_figures"' in page  # the box now shows
    assert not Listing.objects.exists()
    response = client.post("/sell/new/", {**typed, "confirm_figures": "on"})
    assert response.status_code == 302
    assert Listing.objects.get().avg_likes == 5000


def test_ordinary_figures_need_no_confirmation():
    form = _form(follower_count="12000", avg_views="3000", avg_likes="250")
    assert form.is_valid(), form.errors
    assert form["confirm_figures"].is_hidden


def _png(size) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", size).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


@pytest.mark.parametrize("size", [(20_000, 20_000), (13_000, 100), (9_000, 5_000)])
def test_an_image_too_large_says_so_and_the_limit(size):
    upload = SimpleUploadedFile("big.png", _png(size), "image/png")
    with pytest.raises(Exception) as exc:
        clean_image(upload)
    text = " ".join(exc.value.messages)
    assert "The image is too large" in text and "12,000 pixels on a side" in text
    assert "not a valid image" not in text


@pytest.mark.parametrize(
    "content,kind",
    [
        (b"<!DOCTYPE html><html><body>hi</body></html>", "an HTML page"),
        (b"  <html><script>alert(1)</script></html>", "an HTML page"),
        (b"PK\x03\x04rest-of-a-zip", "a ZIP archive"),
        (b"GIF89a\x01\x00", "a GIF image"),
        (b"just some notes\nline two\n", "a text file"),
    ],
)
def test_a_file_that_is_not_what_its_name_says_is_named(content, kind):
    for cleaner in (clean_image, clean_document):
        upload = SimpleUploadedFile("report.pdf", content, "application/pdf")
        with pytest.raises(Exception) as exc:
            cleaner(upload)
        text = " ".join(exc.value.messages)
        assert f"This file is {kind}" in text and "“.pdf”" in text, text


def test_the_screenshot_step_names_an_html_file_and_keeps_the_caption(client):
    seller = VerifiedUserFactory()
    listing = draft(seller, screenshots=0)
    client.force_login(seller)
    fake = SimpleUploadedFile("stats.pdf", b"<html><body>stats</body></html>", "application/pdf")
    response = client.post(
        f"/sell/{listing.pk}/screenshots/", {"image": fake, "caption": "Analytics", "action": "add"}
    )
    page = _page(response)
    assert "This file is an HTML page, although its name ends in “.pdf”." in page
    assert 'value="Analytics"' in page
    assert not listing.screenshots.exists()


def test_demo_handles_fit_their_platforms_limits():
    from django.core.management import call_command

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    for listing in Listing.objects.all():
        clean_handle_for(listing.platform, listing.handle)  # raises if too long


def test_the_services_refuse_what_the_form_refuses():
    from django.core.exceptions import ValidationError

    from listings import services
    from tests.listings.helpers import ACCOUNT as HELPER_ACCOUNT

    seller = VerifiedUserFactory()
    with pytest.raises(ValidationError) as exc:
        services.create_listing(
            seller=seller, data={**HELPER_ACCOUNT, "handle": "x" * 10_025 + "<script>"}
        )
    assert "handle" in exc.value.message_dict
    listing = services.create_listing(
        seller=seller,
        data={**HELPER_ACCOUNT, "platform": "youtube", "handle": "@a_long_name_of_22_chr"},
    )
    with pytest.raises(ValidationError) as exc:  # 21 characters are too many on X
        services.update_listing(seller=seller, listing_id=listing.pk, data={"platform": "x"})
    assert "at most 15 characters" in " ".join(exc.value.message_dict["handle"])
    assert not Listing.objects.filter(handle__isnull=True).exists()
    assert Listing.objects.count() == 1
