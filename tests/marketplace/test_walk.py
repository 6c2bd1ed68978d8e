"""A newcomer's walk: from the home page, clicking only, as each kind of user, in
both languages. Every link reached leads to a page (or a picture, a PDF, a
download), never to an error or to data; every page speaks the reader's language
(no English words nobody typed on a Chinese page, no Chinese of ours on an English
one, no allauth Title Case or "Email" in English; Chinese punctuation full-width
and without spaces around it), labels every field, says what a blank choice is,
and names itself in <title> and one <h1>. Together the walks reach every page of
the site that a person opens (the rest are listed with the reason)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import allauth
import pytest
from django.urls import Resolver404, resolve

from tests.marketplace.test_chinese_style import CATALOGUES, _translations
from tests.security.access import url_patterns
from tests.security.world import build_world
from tests.totp import force_login_with_second_factor

pytestmark = pytest.mark.django_db

ROLES = ("anon", "buyer", "party", "seller", "mod")
# Links a walk does not follow: they act (log out, close the account), leave the
# site's pages (the admin has its own tests; files and feeds are not pages), or
# switch the language (the walk keeps its own).
NOT_FOLLOWED = re.compile(
    r"^/(admin/|i18n/|media/|static/|webhooks/|metrics|robots\.txt|sitemap)"
    r"|/logout/|/close/|/export/|/download/|format=(csv|json)"
)
# Pages nobody reaches by clicking through the site's own pages, and why.
NOT_CLICKED = {
    # The link is in an e-mail, or the page is a step allauth redirects to.
    "account_confirm_email": "the link in the confirmation e-mail",
    "account_email_verification_sent": "shown after sign-up",
    "account_reset_password_from_key": "the link in the reset e-mail",
    "account_reset_password_from_key_done": "shown after a reset",
    "account_reset_password_done": "shown after asking for a reset",
    "account_inactive": "shown to a closed account at login",
    "account_confirm_login_code": "login by code is off",
    "account_set_password": "every account has a password",
    "mfa_authenticate": "the second step of a staff login",
    "mfa_download_recovery_codes": "a file, from the recovery codes page",
    "mfa_view_recovery_codes": "from the two-factor page once codes exist",
    # States the world below has no deal or decision in.
    "escrow:open_recovery": "on a deal accepted within its protection window",
    "governance:appeal": "on the standing page, while a decision may be appealed",
    # Actions behind buttons (POST forms), files and machine endpoints.
    "account_logout": "a button",
    "accounts:verification_image": "a file",
    "listings:screenshot_file": "a file (an image's source on the seller's pages)",
    "accounts:stripe_identity_webhook": "the provider's webhook",
    "escrow:stripe_webhook": "the provider's webhook",
    "escrow:pay_return": "the provider sends the browser back here",
    "escrow:authenticate": "the card's 3-D Secure step, after paying",
    "escrow:cancel": "a button",
    "escrow:accept": "a button",
    "escrow:extend": "a button",
    "escrow:buy": "a button on the listing",
    "escrow:request_refund": "a button on the deal page",
    "escrow:review": "a form on the deal page",
    "escrow:review_reply": "a form on the deal page",
    "escrow:payouts_connect": "a button",
    "escrow:payouts_manual": "a form on the payouts page",
    "escrow:chat": "the chat on the deal page (htmx)",
    "governance:appeal_file": "a file",
    "listings:watch": "a button",
    "listings:save_search": "a button",
    "listings:saved_search_action": "a button",
    "listings:delete_screenshot": "a button",
    "listings:withdraw": "a button",
    "switch_language": "the language menu",
    "set_language": "Django's POST language switch",
    "metrics": "for the monitoring system",
    "robots_txt": "for crawlers",
    "sitemap": "for crawlers",
    "sitemap_section": "for crawlers",
    "media": "files",
}
CJK = re.compile(r"[\u4e00-\u9fff]")
# "德国 (DE)", "已扣分:", "8: 待付款 → 已付款 (已付款；…)" in the admin.
HALF_WIDTH_BY_CJK = re.compile(r"[\u4e00-\u9fff] ?[(:;?!]|\) ?[\u4e00-\u9fff]|\( ?[\u4e00-\u9fff]")
HALF_WIDTH_AFTER_CJK = re.compile(r"[\u4e00-\u9fff][:;?!]")
# A label and its value ("已驳回： x"); a sentence and a link after it keep theirs.
SPACE_AFTER_FULL_WIDTH = re.compile(r"[：；，] ")
SPACE_BEFORE_FULL_WIDTH = re.compile(r"\S [。，：；？！）]")


ALLAUTH_PO = Path(allauth.__file__).parent / "locale/zh_Hans/LC_MESSAGES/django.po"


def _msgids() -> dict[str, str]:
    """English text of our catalogues and allauth's → its Chinese, where they differ."""
    pos = [*CATALOGUES, ALLAUTH_PO]
    out = {}
    for po in pos:
        for mid, mstr in _translations(po):
            if mstr and mstr != mid and " " in mid and "%" not in mid and "{" not in mid:
                out[mid.replace('\\"', '"')] = mstr
    return out


ENGLISH = _msgids()
# allauth's Title Case labels ("Sign In", "Email Addresses"): the site writes
# sentence case and "e-mail" (locale/en rewrites them).
ALLAUTH_TITLE_CASE = {
    mid
    for mid, _ in _translations(ALLAUTH_PO)
    if re.fullmatch(r"[A-Z][\w'’-]*( ([a-z]+|\(again\)|[A-Z][\w'’-]*))+[.?!]?", mid)
    and any(w[0].isupper() for w in mid.split()[1:])
}


class Page(HTMLParser):
    """What a reader sees of a page: text, attributes read aloud, fields and labels."""

    ATTRS = ("placeholder", "title", "aria-label", "alt")

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.links: list[str] = []
        self.fields: list[dict] = []
        self.label_for: set[str] = set()
        self.title = ""
        self.h1 = 0
        self.no_alt: list[str] = []
        self.lang = ""
        self.flow: list[str] = []  # the text as it runs, "\n" between blocks
        self._skip = 0
        self._in_title = False
        self._labels = 0

    BLOCKS = {
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "dt",
        "dd",
        "td",
        "th",
        "tr",
        "br",
        "section",
        "h1",
        "h2",
        "h3",
        "h4",
        "header",
        "footer",
        "nav",
        "form",
        "label",
        "option",
        "button",
        "table",
        "article",
        "aside",
        "main",
        "blockquote",
        "details",
        "summary",
    }

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in self.BLOCKS:
            self.flow.append("\n")
        if tag in ("script", "style", "template"):
            self._skip += 1
        elif tag == "html":
            self.lang = a.get("lang", "")
        elif tag == "title":
            self._in_title = True
        elif tag == "h1":
            self.h1 += 1
        elif tag == "img" and "alt" not in a:
            self.no_alt.append(a.get("src", "?"))
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "label":
            self._labels += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea"):
            if a.get("type") not in ("hidden", "submit", "button"):
                self.fields.append({**a, "_wrapped": self._labels > 0})
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.texts.append(a["value"])
        self.texts.extend(a[k] for k in self.ATTRS if a.get(k))

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.flow.append("\n")
        if tag in ("script", "style", "template"):
            self._skip -= 1
        elif tag == "title":
            self._in_title = False
        elif tag == "label":
            self._labels -= 1

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.flow.append(re.sub(r"\s+", " ", data))
            if data.strip():
                self.texts.append(" ".join(data.split()))

    def running_text(self) -> str:
        """The text with inline elements joined, blocks on lines of their own."""
        return re.sub(r" *\n[\n ]*", "\n", "".join(self.flow))

    def unlabelled(self) -> list[str]:
        return [
            f.get("name") or f.get("id") or "?"
            for f in self.fields
            if not f["_wrapped"]
            and f.get("id") not in self.label_for
            and not f.get("aria-label")
            and not f.get("aria-labelledby")
        ]


def _url_name(path: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name


def _kind(path: str) -> str:
    """One or two pages of each kind are enough (every listing reads alike), but
    each deal is in another state, with other steps to click."""
    if path.startswith("/deals/"):
        return path
    return re.sub(r"\d+", "N", path)


def walk(client, lang: str, typed: set[str], limit: int = 160) -> tuple[dict, set[str], list[str]]:
    """Click every link from the home page; returns {path: Page}, every link seen
    (followed or not) and the problems."""
    client.cookies["django_language"] = lang
    queue, pages, problems, kinds, linked = ["/"], {}, [], {}, set()
    while queue and len(pages) < limit:
        path = queue.pop(0)
        kind = _kind(path)
        if path in pages or kinds.get(kind, 0) >= 2:
            continue
        kinds[kind] = kinds.get(kind, 0) + 1
        response = client.get(path, follow=True, HTTP_ACCEPT="text/html,*/*;q=0.8")
        if response.status_code >= 400:
            problems.append(f"{path}: HTTP {response.status_code}")
        if "text/html" not in response.get("Content-Type", ""):
            # A link leads to a page, a picture or a PDF (evidence, attachments,
            # opened in a tab), or downloads a file; never to data such as JSON.
            kind = response.get("Content-Type", "")
            if not (
                kind.startswith(("image/", "application/pdf"))
                or "attachment" in response.get("Content-Disposition", "")
            ):
                problems.append(f"{path}: not a page ({response.get('Content-Type')})")
            pages[path] = None
            continue
        page = Page()
        page.path = response.request["PATH_INFO"]  # where the redirects led
        page.feed(response.content.decode())
        pages[path] = page
        problems.extend(f"{path}: {p}" for p in _read(page, lang, typed))
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue  # mailto:, another site
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            linked.add(target)
            if not NOT_FOLLOWED.search(target) and target not in pages:
                queue.append(target)
    return pages, linked, problems


def _user_text() -> set[str]:
    """Everything people typed (titles, names, messages …): English on a Chinese page
    when they wrote it in English."""
    from django.apps import apps
    from django.db import models

    found = set()
    for model in apps.get_models():
        fields = [
            f.name
            for f in model._meta.get_fields()
            if isinstance(f, (models.CharField, models.TextField)) and f.concrete
        ]
        for row in model.objects.values_list(*fields) if fields else []:
            found.update(" ".join(v.split()) for v in row if isinstance(v, str) and v)
    return found


ENGLISH_WORDS = re.compile(r"[A-Za-z]{2,}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def _english(text: str, typed: set[str]) -> list[str]:
    """The parts of a Chinese page's text (split at " · ") that are English words
    nobody typed: our own text left untranslated."""
    return [
        part
        for part in text.split(" · ")
        if not CJK.search(part)
        and len(ENGLISH_WORDS.findall(part)) >= 2
        and not EMAIL.fullmatch(part.strip())
        and not any(part in t or (" " in t and t in part) for t in typed)
    ]


def _read(page: Page, lang: str, typed: set[str]) -> list[str]:
    out = []
    if page.lang != lang:
        out.append(f"<html lang={page.lang!r}>")
    title = " ".join(page.title.split())
    if not title:
        out.append("no <title>")
    if page.no_alt:
        out.append(f"images without alt text: {page.no_alt}")
    if page.h1 != 1:
        out.append(f"{page.h1} <h1> headings (a page names itself once)")
    for text in [title, *page.texts]:
        if len(text) >= 3 and not text.strip("-"):
            out.append(f"a blank choice reads {text!r}: say what to choose")
        if lang == "zh-hans":
            bare = text.split(" · ")[0].strip()
            if bare in ENGLISH or text in ENGLISH:
                out.append(f"English left: {text!r} (should read {ENGLISH.get(bare)!r})")
            out.extend(f"English: {part!r} in {text!r}" for part in _english(text, typed))
            if HALF_WIDTH_AFTER_CJK.search(text) or HALF_WIDTH_BY_CJK.search(text):
                out.append(f"half-width punctuation after Chinese: {text!r}")
        elif lang == "en":
            if text != "简体中文" and CJK.search(text) and text in ENGLISH.values():
                out.append(f"Chinese on an English page: {text!r}")
            if text.split(" · ")[0] in ALLAUTH_TITLE_CASE:
                out.append(f"allauth's Title Case: {text!r}")
            if re.search(r"\bEmails?\b", text) and not any(text in t for t in typed):
                out.append(f"'Email' where the site writes 'E-mail': {text!r}")
    if lang == "zh-hans":
        for line in page.running_text().splitlines():
            if SPACE_AFTER_FULL_WIDTH.search(line):
                out.append(f"a space after full-width punctuation: {line.strip()!r}")
            if SPACE_BEFORE_FULL_WIDTH.search(line):
                out.append(f"a space before full-width punctuation: {line.strip()!r}")
    if page.unlabelled():
        out.append(f"fields without a label: {page.unlabelled()}")
    return out


def _shared_titles(pages: dict) -> list[str]:
    """Two different pages never share a <title> (the tab, the history and a screen
    reader tell them apart by it): the listing form's steps all read "Edit listing",
    and the seller's review of a listing read as its public page."""
    by_title: dict[str, set[str]] = {}
    # One step in two forms (password or code), each linking to the other.
    same = {"mfa_reauthenticate": "account_reauthenticate"}
    for page in pages.values():
        if page is not None:
            name = _url_name(page.path) or page.path
            name = same.get(name, name)
            by_title.setdefault(" ".join(page.title.split()), set()).add(name)
    return [
        f"pages {sorted(names)} share the title {title!r}"
        for title, names in by_title.items()
        if len(names) > 1
    ]


@pytest.fixture
def world(db, settings):
    settings.RATE_LIMITS_ENABLED = False
    return build_world()


def _client_for(role, world, client_factory):
    client = client_factory()
    user = world.users[role]
    if role in ("mod", "admin"):
        force_login_with_second_factor(client, user)
    elif user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_every_page_reached_by_clicking_reads_in_the_readers_language(world, lang):
    from django.test import Client

    typed = _user_text()
    reached, problems = set(), []
    for role in ROLES:
        pages, linked, found = walk(_client_for(role, world, Client), lang, typed)
        problems.extend(f"[{role}] {p}" for p in found)
        problems.extend(f"[{role}] {p}" for p in _shared_titles(pages))
        reached |= {_url_name(path) for path in [*pages, *linked]}
    assert problems == [], "\n".join(problems)
    # The admin is one page here: its index, linked for moderators.
    names = {p.key for p in url_patterns() if not p.route.startswith(("admin/", "^media/"))}
    names.add("admin:index")
    missing = sorted(names - reached - set(NOT_CLICKED))
    assert missing == [], f"pages nobody reaches by clicking: {missing}"


def test_every_admin_list_and_change_page_reads_in_chinese(world):
    """The moderators' side of the walk: each model's list and the change page of
    its first row, as the operator (who sees every model), in Chinese. Only what
    people typed may be English (and the platforms' brand names)."""
    from django.contrib import admin
    from django.test import Client

    typed = _user_text() | {
        "TikTok",
        "Instagram",
        "YouTube",
        "Twitch",
        "Stripe Identity",
        "WebAuthn",
    }
    names = sorted((t for t in typed if len(t) >= 3), key=len, reverse=True)
    client = Client()
    force_login_with_second_factor(client, world.users["admin"])
    client.cookies["django_language"] = "zh-hans"
    problems, seen = [], 0
    for model in admin.site._registry:
        opts = model._meta
        paths = [f"/admin/{opts.app_label}/{opts.model_name}/"]
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            paths.append(f"{paths[0]}{first.pk}/change/")
        for path in paths:
            response = client.get(path)
            if response.status_code == 302:  # a queue's row opens its decision page
                continue
            if response.status_code != 200:
                problems.append(f"{path}: HTTP {response.status_code}")
                continue
            seen += 1
            page = Page()
            page.feed(response.content.decode())
            for text in page.texts:
                if "@" in text or text.startswith("{") or re.search(r"/\S+\.\w{3,4}$", text):
                    continue  # addresses, a webhook's JSON, a stored file's name
                # What people typed and the rules' codes, taken out of the text.
                text = re.sub(r"\b[A-Z]{3}-\d{2}\b", "", text)
                for name in names:
                    if name in text:
                        text = text.replace(name, "")
                problems += [f"{path}: {p!r}" for p in _english(text, typed)]
                if HALF_WIDTH_BY_CJK.search(text):
                    problems.append(f"{path}: half-width punctuation by Chinese: {text!r}")
                if re.fullmatch(r"[A-Za-z][A-Za-z ’']{2,}", text.strip()):
                    problems.append(f"{path}: {text!r}")
    assert seen > 40
    assert problems == [], "\n".join(sorted(set(problems)))
