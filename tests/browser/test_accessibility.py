"""axe-core (vendored from npm, tests/browser/vendor/axe.min.js, MPL-2.0) finds no
serious or critical violation on the main pages, in English and in Chinese, at
desktop and phone width. The script is injected in a context that bypasses the
site's Content-Security-Policy, as the site itself allows no inline or foreign script.
The same visit saves the screenshots of the README's gallery."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.browser.journey_helpers import login, new_page, run_axe, set_language, shot
from tests.escrow.conftest import hand_over, open_and_pay
from tests.factories import ListingFactory, UserFactory, VerifiedUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("lang", "phone"), [("en", False), ("en", True), ("zh-hans", False), ("zh-hans", True)]
)
def test_main_pages_have_no_serious_axe_violations(live_server, browser, lang, phone):
    base = live_server.url
    seller = VerifiedUserFactory(display_name="Studio Lin")
    buyer = VerifiedUserFactory(display_name="Buyer Bo")
    listing = ListingFactory(seller=seller, title="Retro gaming channel", price=150_000)
    shown = ListingFactory(
        seller=seller, title="美妆博主账号出售", platform="xiaohongshu", niche="美妆"
    )
    deal = open_and_pay(buyer, listing, timezone.now())
    hand_over(deal, timezone.now())
    newcomer = UserFactory(display_name="New Person")

    pages = {
        "home": (None, "/"),
        "catalogue": (None, "/listings/?q=gaming"),
        "listing": (None, f"/listings/{shown.pk}/"),
        "deal": (buyer, f"/deals/{deal.pk}/"),
        "verification": (newcomer, "/verify/"),
        "standing": (buyer, "/standing/"),
        "login": (None, "/accounts/login/"),
        "signup": (None, "/accounts/signup/"),
        "not-found": (None, "/listings/999999/"),
    }
    page = new_page(browser, lang, phone=phone, bypass_csp=True)
    set_language(page, base, lang)
    found = {}
    current = None
    for name, (user, path) in pages.items():
        if user is not current:
            page.context.clear_cookies()
            set_language(page, base, lang)
            if user is not None:
                login(page, base, user.email, lang)
            current = user
        page.goto(base + path)
        shot(page, f"page-{name}", lang)  # the README's gallery
        violations = run_axe(page)
        if violations:
            found[name] = violations
    page.context.close()
    assert not found, "\n".join(
        f"{name}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes']}"
        for name, violations in found.items()
        for v in violations
    )
