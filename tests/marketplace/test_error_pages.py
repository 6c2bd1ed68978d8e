"""Error pages a visitor can meet (400, 403, an expired form, 404, 500) are the
site's own: styled, in the reader's language, with a way back home."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import get_resolver
from django.utils import translation

pytestmark = pytest.mark.django_db

LANGS = ["en", "zh-hans"]


def _t(text: str, lang: str) -> str:
    with translation.override(lang):
        return translation.gettext(text)


def _assert_site_page(response, lang, status, title, heading):
    assert response.status_code == status
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    assert "css/handoff.css" in html
    assert f"<title>{_t(title, lang)} · Handoff</title>" in html
    assert _t(heading, lang) in html
    assert 'href="/"' in html
    if lang == "zh-hans":
        assert _t(heading, lang) != heading, f"{heading!r} is not translated"


@pytest.mark.parametrize("lang", LANGS)
def test_a_missing_page(client, lang):
    client.cookies["django_language"] = lang
    response = client.get("/no-such-page/")
    _assert_site_page(response, lang, 404, "Page not found", "We could not find that page")


@pytest.mark.parametrize("path", ["/no-such-page/", "/listings/999999/", "/sellers/999999/"])
@pytest.mark.parametrize("lang", LANGS)
def test_a_missing_page_under_debug_is_the_sites_own(client, lang, path, settings):
    # `make run` runs with DEBUG on: a wrong address (no pattern matched) or a
    # missing row (the view's Http404) showed Django's technical page, in English,
    # listing every URL pattern of the site.
    settings.DEBUG = True
    client.cookies["django_language"] = lang
    response = client.get(path)
    _assert_site_page(response, lang, 404, "Page not found", "We could not find that page")
    assert "URLconf" not in response.content.decode()


@pytest.mark.parametrize("lang", LANGS)
def test_a_bad_request(client, lang, settings):
    # An unknown Host header is Django's commonest 400 (SuspiciousOperation).
    client.cookies["django_language"] = lang
    response = client.get("/", HTTP_HOST="unknown.example")
    _assert_site_page(response, lang, 400, "Bad request", "We could not understand that request")


@pytest.mark.parametrize("lang", LANGS)
def test_a_form_sent_without_its_security_token(lang):
    # A form left open too long, or cookies off: Django's CSRF check refuses it.
    client = Client(enforce_csrf_checks=True)
    client.cookies["django_language"] = lang
    response = client.post("/accounts/login/", {"login": "a@example.com", "password": "x"})
    _assert_site_page(response, lang, 403, "Page expired", "This page has expired")
    assert "CSRF" not in response.content.decode()


@pytest.mark.parametrize(
    ("status", "title", "heading"),
    [
        (403, "Not allowed", "You are not allowed to do that"),
        (500, "Something went wrong", "Something went wrong on our side"),
    ],
)
@pytest.mark.parametrize("lang", LANGS)
def test_refused_and_failed_requests(lang, status, title, heading):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    handler = get_resolver().resolve_error_handler(status)
    with translation.override(lang):
        response = handler(request) if status == 500 else handler(request, exception=None)
    _assert_site_page(response, lang, status, title, heading)


@pytest.mark.parametrize("lang", LANGS)
def test_a_refusal_says_where_to_turn(client, lang):
    # "Contact support" came without a link; a moderator refused an admin page was
    # sent to the shop's home page instead of back to the admin.
    from tests.security.world import make_staff
    from tests.totp import force_login_with_second_factor

    moderator = make_staff()
    force_login_with_second_factor(client, moderator)
    client.cookies["django_language"] = lang
    response = client.get("/admin/escrow/ledgertransaction/")
    _assert_site_page(response, lang, 403, "Not allowed", "You are not allowed to do that")
    html = response.content.decode()
    assert 'href="/contact/"' in html and 'class="btn btn-primary" href="/admin/"' in html
