"""Shared steps for the journey, accessibility and bad-input browser tests.

Labels are looked up through the real catalogues (``T``), so the same journey runs
in English and in Chinese and fails when a string is left untranslated.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from pathlib import Path

from django.core import mail
from django.utils import translation
from PIL import Image
from playwright.sync_api import expect

from tests.accounts.identity_helpers import TOTP_SECRET, ric
from tests.factories import TEST_PASSWORD
from tests.totp import fresh_totp_code

#: Where the journeys' screenshots go: var/screenshots (ignored by git), or the
#: folder HANDOFF_SCREENSHOTS_DIR names (`make screenshots`: docs/screenshots).
SHOTS = Path(os.environ.get("HANDOFF_SCREENSHOTS_DIR") or "var/screenshots")
SHOTS.mkdir(parents=True, exist_ok=True)
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
GOOD_CARD = ("4242 4242 4242 4242", "12/34", "123")


def T(text: str, lang: str, **params) -> str:
    """``text`` as the site shows it in ``lang`` (the project's own catalogues)."""
    with translation.override(lang):
        out = translation.gettext(text)
    return out % params if params else out


def exact(text: str) -> re.Pattern:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def png(size=(900, 600), color=(15, 118, 110)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def png_file(name="shot.png", **kwargs) -> dict:
    return {"name": name, "mimeType": "image/png", "buffer": png(**kwargs)}


def totp_code(user) -> str:
    """A code with at least 5 s left, never the same one twice for ``user``."""
    return fresh_totp_code(user, secret=TOTP_SECRET)


def new_page(browser, lang="en", *, phone=False, bypass_csp=False):
    """A fresh context (own cookies) with the language cookie set."""
    context = browser.new_context(
        locale="zh-CN" if lang.startswith("zh") else "en-US",
        viewport=PHONE if phone else DESKTOP,
        bypass_csp=bypass_csp,
    )
    return context.new_page()


def set_language(page, base, lang):
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": base}])


def login(page, base, email, lang="en", next_url="/", password=TEST_PASSWORD):
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def login_moderator(page, base, email, lang="en"):
    login(page, base, email, lang, "/admin/")
    page.locator("#id_code").fill(totp_code(email))
    page.locator("main form button[type=submit], #content form button[type=submit]").first.click()
    expect(page.locator("#site-name")).to_be_visible()


def logout(page, base):
    page.goto(base + "/")
    page.locator(".header-tools form[action$='/logout/'] button").click()
    page.wait_for_load_state()


def shot(page, name: str, lang: str = "en"):
    """<SHOTS>/ux-<name>-<lang>[-phone].png"""
    suffix = "-phone" if page.viewport_size and page.viewport_size["width"] < 600 else ""
    page.screenshot(path=str(SHOTS / f"ux-{name}-{lang}{suffix}.png"), full_page=True)


def last_mail_link(pattern: str) -> str:
    body = mail.outbox[-1].body
    match = re.search(rf"https?://\S*{pattern}\S*", body)
    assert match, body
    return match.group(0)


def fill_verification(page, *, name="Li Hua", birth=dt.date(1990, 3, 14), number=None):
    page.locator("#id_legal_name").fill(name)
    page.locator("#id_document_type").select_option("cn_resident_id")
    page.locator("#id_document_number").fill(number or ric(birth))
    page.locator("#id_date_of_birth").fill(birth.isoformat())
    page.locator("#id_country").select_option("CN")
    page.locator("#id_document_image").set_input_files(files=[png_file("id.png", size=(640, 400))])


def pay_with_card(page, lang, card=GOOD_CARD):
    number, exp, cvc = card
    page.get_by_label(T("Card number", lang)).fill(number)
    page.get_by_label(T("Expiry (MM/YY)", lang)).fill(exp)
    page.get_by_label(T("CVC", lang)).fill(cvc)
    page.locator("form.escrow-card-form button[type=submit]").click()
    page.wait_for_load_state()


def run_axe(page) -> list[dict]:
    """Serious and critical axe-core violations on the current page."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
