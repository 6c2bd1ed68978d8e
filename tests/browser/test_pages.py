"""The pages people expect, in a real Chromium: reached from the footer of any page,
readable at phone width without sideways scrolling, no serious axe-core violation,
prices kept on one line, the transparency charts drawn without JavaScript. The
visit saves the screenshots of the README's gallery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from governance import services as governance
from tests.browser.journey_helpers import (
    T,
    login_moderator,
    new_page,
    run_axe,
    set_language,
    shot,
)
from tests.factories import UserFactory
from tests.governance.conftest import confirm, make_moderator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    ("how-it-works", "How escrow works", "/how-it-works/"),
    ("terms", "Terms and rules", "/terms/"),
    ("privacy", "Privacy", "/privacy/"),
    ("contact", "Contact", "/contact/"),
]


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.scrollingElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize(
    ("lang", "phone"), [("en", False), ("en", True), ("zh-hans", False), ("zh-hans", True)]
)
def test_pages_are_reached_from_the_footer_and_read_well(live_server, browser, lang, phone):
    base = live_server.url
    now = timezone.now()
    confirm(user=UserFactory(), rule="BEH-11", moderator=make_moderator(), now=now)
    governance.build_transparency_snapshots(now=now + timedelta(minutes=1))

    page = new_page(browser, lang, phone=phone, bypass_csp=True)
    set_language(page, base, lang)
    found = {}
    for name, label, path in PAGES:
        page.goto(base + "/listings/")
        page.locator(".site-footer").get_by_role("link", name=T(label, lang), exact=True).click()
        page.wait_for_load_state()
        assert page.url == base + path
        assert page.locator("h1").inner_text().strip() == T(label, lang)
        assert _no_sideways_scroll(page), f"{name} scrolls sideways"
        shot(page, f"page-{name}", lang)
        violations = run_axe(page)
        if violations:
            found[name] = violations

    # A price never breaks inside ("5.00 美 / 元"): one line box per amount.
    page.goto(base + "/how-it-works/")
    amounts = page.locator(".money")
    assert amounts.count() >= 1
    for i in range(amounts.count()):
        assert amounts.nth(i).evaluate("el => el.getClientRects().length") == 1

    # The transparency charts are in the served HTML: they draw with scripts off.
    page.goto(base + "/transparency/")
    assert page.locator("[data-testid=timeline] svg rect.chart-fill").count() >= 3
    assert page.locator("svg.bar rect.chart-fill").count() >= 9
    assert _no_sideways_scroll(page), "transparency scrolls sideways"
    shot(page, "page-transparency", lang)
    violations = run_axe(page)
    if violations:
        found["transparency"] = violations
    page.context.close()
    assert not found, "\n".join(
        f"{name}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes']}"
        for name, violations in found.items()
        for v in violations
    )


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_every_header_link_is_in_sight_on_a_phone(live_server, browser, lang):
    """A moderator not yet verified has the most header links (eight). On a phone
    every one is on screen, none behind a sideways scroll nobody sees (the menu
    scrolled with its scrollbar hidden: Standing, My deals and Moderation were
    off the screen's edge)."""
    base = live_server.url
    moderator = make_moderator()
    page = new_page(browser, lang, phone=True)
    set_language(page, base, lang)
    login_moderator(page, base, moderator.email, lang)
    page.goto(base + "/")
    nav = page.locator(".main-nav")
    labels = ["Home", "Browse", "Sell", "Watchlist", "Get verified", "Standing", "My deals"]
    for label in labels + ["Moderation"]:
        expect_link = nav.get_by_role("link", name=T(label, lang), exact=True)
        box = expect_link.bounding_box()
        assert box is not None, label
        assert 0 <= box["x"] and box["x"] + box["width"] <= page.viewport_size["width"], label
    assert nav.evaluate("n => n.scrollWidth <= n.clientWidth + 1")
    assert _no_sideways_scroll(page)
    shot(page, "header-moderator", lang)
    page.context.close()


def test_transparency_charts_need_no_javascript(live_server, browser):
    now = timezone.now()
    confirm(user=UserFactory(), rule="BEH-11", moderator=make_moderator(), now=now)
    governance.build_transparency_snapshots(now=now + timedelta(minutes=1))
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/transparency/")
    bar = page.locator("svg.bar rect.series-violations").first
    box = bar.bounding_box()
    assert box is not None and box["width"] > 20  # drawn, at full length for the only rule
    context.close()


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_file_fields_speak_the_pages_language(live_server, browser, lang):
    # Chromium writes "Choose File / No file chosen" in its own language, whatever
    # the page's; the page shows its own words, and the field still takes files
    # by its label.
    from tests.browser.journey_helpers import login, png_file

    user = UserFactory()
    page = new_page(browser, lang, phone=True)
    set_language(page, live_server.url, lang)
    login(page, live_server.url, user.email, lang, next_url="/verify/")
    page.goto(live_server.url + "/verify/")
    pickers = page.locator(".file-picker")
    assert pickers.count() >= 1
    for i in range(pickers.count()):
        text = pickers.nth(i).inner_text()
        assert T("Choose a file", lang) in text and T("No file chosen", lang) in text
        assert "Choose File" not in text
    field = pickers.first.locator("input[type=file]")
    field.set_input_files(png_file("id-front.png"))
    assert "id-front.png" in pickers.first.inner_text()
    label_for = field.get_attribute("id")
    assert page.locator(f"label[for='{label_for}']").count() == 1
    assert _no_sideways_scroll(page)
    shot(page, "file-fields", lang)
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_list_tables_fit_a_phone(live_server, browser, lang):
    # The seller's listings, deals, decisions and reports: on a phone each row is a
    # labelled card; nothing is cut off inside a sideways-scrolling box, and no
    # column is so narrow that words break a character a line.
    from tests.browser.journey_helpers import login
    from tests.security.world import build_world

    world = build_world()
    checked = 0
    for role, path in [
        ("party", "/sell/"),
        ("party", "/deals/"),
        ("party", "/standing/"),
        ("buyer", "/reports/mine/"),
    ]:
        page = new_page(browser, lang, phone=True)
        set_language(page, live_server.url, lang)
        login(page, live_server.url, world.users[role].email, lang, next_url=path)
        page.goto(live_server.url + path)
        tables = page.locator("main table.table")
        assert tables.count() >= 1, path
        for i in range(tables.count()):
            table = tables.nth(i)
            fits = table.evaluate(
                "t => t.scrollWidth <= (t.closest('.table-wrap') || t.parentElement).clientWidth + 1"
            )
            assert fits, f"{path}: a table is wider than the phone"
            narrowest = table.evaluate(
                "t => Math.min(...[...t.querySelectorAll('tbody td')].map(c => c.clientWidth))"
            )
            assert narrowest >= 60, f"{path}: a column {narrowest}px wide"
            checked += 1
        assert _no_sideways_scroll(page), path
        shot(page, f"phone-table{path.replace('/', '-').rstrip('-')}", lang)
        page.context.close()
    assert checked >= 4
