"""The page shell's cache (marketplace/templatetags/shell.py): an anonymous
visitor's header and footer come from memory, with their own CSRF token and path;
signed-in visitors always get theirs rendered live."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from marketplace.templatetags import shell
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


def test_each_visitor_gets_a_working_csrf_token_of_their_own(cache_on):
    tokens = []
    for _ in range(2):
        visitor = Client(enforce_csrf_checks=True)
        page = visitor.get("/listings/").content.decode()
        [token] = TOKEN.findall(page)
        tokens.append(token)
        # The cached header's form works for this visitor, and only with their token.
        switched = visitor.post(
            "/i18n/setlang/", {"language": "zh-hans", "next": "/", "csrfmiddlewaretoken": token}
        )
        assert switched.status_code == 302
    assert tokens[0] != tokens[1]
    stranger = Client(enforce_csrf_checks=True)
    stranger.get("/listings/")
    refused = stranger.post(
        "/i18n/setlang/", {"language": "zh-hans", "next": "/", "csrfmiddlewaretoken": "x" * 64}
    )
    assert refused.status_code == 403


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
