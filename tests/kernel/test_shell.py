"""The page shell (kernel/templatetags/shell.py, Jinja2 templates in
marketplace/jinja2/shell/): every page's header and footer, with each app's
links; with the fragment cache on, an anonymous visitor's come from memory, with
their own CSRF token and path; signed-in visitors always get theirs rendered live."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from kernel.templatetags import shell
from tests.factories import ListingFactory, VerifiedUserFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NEXT = re.compile(r'<input name="next" type="hidden" value="([^"]*)">')


@pytest.fixture
def cache_on(settings):
    settings.FRAGMENT_CACHE = True  # (a settings change also empties the shell cache)
    yield
    shell.clear()


def _shell(html: str) -> str:
    """Header and footer, with the CSRF token blanked."""
    header = html[html.index('<header class="site-header">') : html.index("</header>")]
    footer = html[html.index('<footer class="site-footer">') : html.index("</footer>")]
    return TOKEN.sub('name="csrfmiddlewaretoken" value=""', header + footer)


def test_every_page_has_the_shell_with_each_apps_links_and_the_footer(client):
    page = client.get("/listings/").content.decode()
    shell = _shell(page)
    for link in ("/", "/listings/", "/sell/", "/accounts/login/", "/accounts/signup/"):
        assert f'href="{link}"' in shell, link
    for link in ("/how-it-works/", "/terms/", "/privacy/", "/contact/", "/transparency/"):
        assert f'href="{link}"' in shell, link
    assert 'href="/deals/"' not in shell  # members' links only for members


def test_an_anonymous_shell_is_kept_once_and_served_the_same_as_live(client, settings):
    ListingFactory(title="Shell test listing")
    live = client.get("/listings/?platform=youtube").content.decode()

    settings.FRAGMENT_CACHE = True
    first = client.get("/listings/?platform=youtube").content.decode()
    kept = len(shell._cache)
    second = client.get("/listings/?platform=youtube").content.decode()

    assert kept == 2  # header and footer of this view in this language
    assert len(shell._cache) == kept  # the second request rendered nothing new
    assert _shell(first) == _shell(second) == _shell(live)
    assert shell.CSRF_STAND_IN not in second and shell.NEXT_STAND_IN not in second


def test_a_visitor_not_signed_in_gets_no_token_nor_cookie_and_switches_language(cache_on):
    visitor = Client(enforce_csrf_checks=True)
    for _ in range(2):  # rendered, then the shell from memory
        response = visitor.get("/listings/")
        page = response.content.decode()
        assert not TOKEN.findall(page) and "X-CSRFToken" not in page
        assert settings.CSRF_COOKIE_NAME not in response.cookies
    assert '<form action="/i18n/switch/" method="get" class="lang-form">' in page
    switched = visitor.get("/i18n/switch/", {"language": "zh-hans", "next": "/listings/"})
    assert switched.status_code == 302 and switched.url == "/listings/"
    assert "浏览" in _shell(visitor.get("/listings/").content.decode())


def test_a_signed_in_visitor_gets_their_own_token_for_their_forms(cache_on):
    tokens = []
    for _ in range(2):
        member = Client(enforce_csrf_checks=True)
        member.force_login(VerifiedUserFactory())
        page = member.get("/listings/").content.decode()
        # The sign-out form first (the catalogue also has "Save this search").
        token = TOKEN.findall(page)[0]
        assert f'"X-CSRFToken": "{token}"' in page  # htmx's header carries it too
        tokens.append(token)
        assert member.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert tokens[0] != tokens[1]


def test_the_language_switch_stays_on_this_site_and_knows_its_languages(client):
    away = client.get("/i18n/switch/", {"language": "zh-hans", "next": "https://evil.example/"})
    assert away.status_code == 302 and away.url == "/"
    assert away.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    unknown = client.get("/i18n/switch/", {"language": "xx", "next": "/listings/"})
    assert unknown.url == "/listings/" and settings.LANGUAGE_COOKIE_NAME not in unknown.cookies
    assert "no-store" in away["Cache-Control"]  # it sets a cookie: never kept by a cache
    assert client.post("/i18n/switch/", {"language": "en"}).status_code == 405


def test_the_language_form_returns_to_the_requested_path_escaped(client, settings):
    path = '/listings/?q=a"b<c>&platform=youtube'
    [live] = NEXT.findall(client.get(path).content.decode())
    settings.FRAGMENT_CACHE = True
    client.get("/listings/")  # fills the cache for this view, with another path
    [cached] = NEXT.findall(client.get(path).content.decode())

    assert cached == live == "/listings/?q=a%22b%3Cc%3E&amp;platform=youtube"


def test_a_signed_in_visitor_never_gets_the_anonymous_shell_nor_leaves_theirs(client, cache_on):
    client.get("/listings/")
    user = VerifiedUserFactory(display_name="Shell Owner")
    client.force_login(user)
    mine = client.get("/listings/").content.decode()
    client.logout()
    anonymous = client.get("/listings/").content.decode()

    assert "Shell Owner" in mine and "/accounts/logout/" in mine
    assert "Shell Owner" not in anonymous and "/accounts/logout/" not in anonymous
    assert "/accounts/login/" in anonymous


def test_the_current_section_and_the_language_follow_the_page(client, cache_on):
    listing = ListingFactory()
    catalogue = client.get("/listings/").content.decode()
    detail = client.get(f"/listings/{listing.pk}/").content.decode()
    assert re.search(r'href="/listings/"\s+aria-current="page"', catalogue)
    assert 'aria-current="page"' not in _shell(detail)

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/listings/"})
    chinese = client.get("/listings/").content.decode()
    assert "浏览" in _shell(chinese) and "Browse" not in _shell(chinese)
