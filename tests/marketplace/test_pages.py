"""The pages people expect: terms (the rules catalogue), privacy, how escrow works,
contact, robots.txt, sitemap.xml and Open Graph tags."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils.html import escape

from governance.models import Rule
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db
PAGES = ["/terms/", "/privacy/", "/how-it-works/", "/contact/"]
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def get(client, path, lang="en"):
    client.cookies["django_language"] = lang
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
@pytest.mark.parametrize("path", PAGES)
def test_each_page_answers_for_anyone_and_links_the_others(client, path, lang):
    html = get(client, path, lang)
    footer = html.split('class="site-footer"', 1)[1]
    for other in PAGES:
        assert f'href="{other}"' in footer


def test_terms_publish_every_rule_in_force_with_its_name_in_the_readers_language(client):
    rules = list(Rule.objects.filter(is_active=True))
    assert len(rules) > 30
    en, zh = get(client, "/terms/"), get(client, "/terms/", "zh-hans")
    for rule in rules:
        assert f'id="{rule.code}"' in en
        assert escape(rule.title_en) in en and escape(rule.title_zh) in zh


def test_a_retired_rule_leaves_the_terms(client):
    Rule.objects.filter(code="ADM-01").update(is_active=False)
    assert 'id="ADM-01"' not in get(client, "/terms/")


@override_settings(PLATFORM_FEE_BPS=750, PLATFORM_FEE_MIN=300)
def test_figures_on_the_pages_follow_the_settings(client):
    html = get(client, "/how-it-works/")
    assert "7.5%" in html and "US$3.00" in html
    zh = get(client, "/how-it-works/", "zh-hans")
    assert "7.5%" in zh and "3.00 美元" in zh and "3天" in zh


def test_contact_and_privacy_give_the_operators_address(client):
    for path in ("/contact/", "/privacy/"):
        assert settings.CONTACT_EMAIL in get(client, path)


def test_robots_keeps_crawlers_out_of_private_pages_and_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    for private in ("/admin/", "/accounts/", "/deals/", "/me/", "/sell/"):
        assert f"Disallow: {private}\n" in text
    assert f"Sitemap: {settings.SITE_URL}/sitemap.xml" in text


def test_sitemap_lists_published_listings_their_sellers_and_the_static_pages(
    client, django_assert_max_num_queries
):
    published = ListingFactory()
    draft = ListingFactory(state="DRAFT", published_at=None)
    nobody = UserFactory()
    index = ElementTree.fromstring(client.get("/sitemap.xml").content)  # noqa: S314 - our own output
    sections = [loc.text for loc in index.findall("s:sitemap/s:loc", NS)]
    assert {s.rsplit("/", 1)[1] for s in sections} == {
        "sitemap-listings.xml",
        "sitemap-sellers.xml",
        "sitemap-pages.xml",
    }
    urls = []
    for section in ("listings", "sellers", "pages"):
        with django_assert_max_num_queries(4):
            body = client.get(f"/sitemap-{section}.xml").content
        urls += [loc.text for loc in ElementTree.fromstring(body).findall("s:url/s:loc", NS)]  # noqa: S314
    paths = {re.sub(r"^https?://[^/]+", "", url) for url in urls}
    assert f"/listings/{published.pk}/" in paths
    assert f"/listings/{draft.pk}/" not in paths
    assert f"/sellers/{published.seller_id}/" in paths
    assert f"/sellers/{draft.seller_id}/" not in paths and f"/sellers/{nobody.pk}/" not in paths
    assert {"/", "/listings/", "/terms/", "/privacy/", "/how-it-works/", "/contact/"} <= paths
    assert all(url.startswith(f"http://{settings.SITE_DOMAIN}/") for url in urls)


def _meta(html: str, prop: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)"', html)
    assert match, prop
    return match.group(1)


def test_every_page_carries_open_graph_tags(client):
    html = get(client, "/")
    assert _meta(html, "og:site_name") == settings.SITE_NAME
    assert _meta(html, "og:url") == f"{settings.SITE_URL}/"
    assert _meta(html, "og:image").endswith(".png")
    terms = get(client, "/terms/", "zh-hans")
    assert _meta(terms, "og:title") == "服务条款与平台规则"
    assert _meta(terms, "og:locale") == "zh_CN"


def test_a_listing_shares_its_own_title_and_description(client):
    listing = ListingFactory(title='Cooking <channel> "fans"', description="Recipes, weekly.")
    html = get(client, f"/listings/{listing.pk}/")
    assert _meta(html, "og:title") == "Cooking &lt;channel&gt; &quot;fans&quot;"
    assert _meta(html, "og:description") == "Recipes, weekly."
    assert _meta(html, "og:type") == "product"
