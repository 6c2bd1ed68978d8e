"""Self-evident candidates: an e-mail address, a link, a phone number in a
phone's shape, a ``wxid_``, a Skype ``live:`` id, a Discord ``name#1234``, an
``@handle``. Only their own shape can clear them (an order or version number
written like a phone)."""

from __future__ import annotations

import functools
import re

from ..context import gate as _gate
from ..context import keys_in
from .guards import (
    _COUNT_AFTER,
    _D,
    _DATE_INSIDE,
    _E,
    _MASKED,
    _SEP,
    _STOP,
    _order_like,
    _version_like,
    digit_count,
)

# Each shape has its own regex and a cheap gate (substrings its match must
# contain), so a message runs only the regexes it could match.
_EMAIL = re.compile(
    r"(?<![\w.%+-])[a-z0-9._%+-]{2,64}+\s?@\s?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,10}" + _E
)
_DOT = r"(?:\.|点|\(dot\)|\[dot\]|\{dot\}|\sdot\s)"
_EMAIL_DISGUISED = re.compile(
    rf"(?<![\w.])[a-z0-9_%+-]{{1,64}}+(?:\s?{_DOT}\s?[a-z0-9_%+-]{{1,32}}+){{0,6}}"
    r"\s?(?:\(at\)|\[at\]|\{at\}|\sat\s|#|艾特|圈a|小老鼠|\(@\)|@)\s?[a-z0-9-]{2,}"
    rf"(?:\s?{_DOT}\s?[a-z0-9-]{{2,}}){{0,2}}?\s?{_DOT}\s?(?:com|cn|net|org|io|me|co|uk|de|fr|jp|ru|edu)"
    + _E
)
# "tony dot flips at gmail": a mail provider names the domain without its TLD;
# the local part must look like an address (a dot, a digit or _)
_EMAIL_PROVIDER = re.compile(
    rf"(?<![\w.])(?=[a-z0-9%+\-]*[._\d]|[a-z0-9_%+\-]+\s?{_DOT})[a-z0-9_%+-]{{2,64}}+"
    rf"(?:\s?{_DOT}\s?[a-z0-9_%+-]{{1,32}}+){{0,6}}"
    r"\s?(?:\(at\)|\[at\]|\{at\}|\sat\s|艾特|圈a|小老鼠|@)\s?"
    r"(?:gmail|hotmail|outlook|yahoo|icloud|proton(?:mail)?|foxmail|yandex)(?![a-z0-9])"
)
_TLDS = (
    r"(?:com|cn|net|org|io|me|ly|co|cc|top|xyz|info|app|link|gg|tv|uk|hk|tw|sg|ru|biz|site|online"
    r"|shop|vip|club|store|live|page|ee|de|fr|jp|kr|ai|gl|bio|nz|au|ca|es|nl|pl|vn|th|ph)(?![a-z0-9\-])"
)
_TLD_GATE = re.compile(r"\." + _TLDS)
_LINK = re.compile(
    r"(?:https?://|www\.)[^\s，。！？、）)\]】>\"'<]+"
    r"|(?<![@\w.\-])(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+"
    + _TLDS
    + r"(?:/[^\s，。！？、）)\]】>\"'<]*)?"
)
# "www dot fastflip dot net", "maihao 点 top": labels with a letter, joined by a
# spelled-out dot, ending in a known TLD
_LINK_DISGUISED = re.compile(
    r"(?<![\w.])(?:(?=[a-z0-9\-]*[a-z])[a-z0-9\-]{2,}\s?(?:\.|点|\(dot\)|\[dot\]|\{dot\}|\sdot\s)\s?)*"
    r"(?=[a-z0-9\-]*[a-z])(?P<label>[a-z0-9\-]{2,})\s?(?:点|\(dot\)|\[dot\]|\{dot\}|\sdot\s)\s?"
    + _TLDS
)
_WXID = re.compile(r"wxid_[a-z0-9_\-]{3,}")
_SKYPE = re.compile(r"live:[.a-z0-9_\-]{3,}")
_DISCORD = re.compile(r"(?<![\w#])[a-z][a-z0-9_.]{1,31}#\d{4}(?!\d)")
_AT = re.compile(r"(?<![\w.@])@[a-z0-9_][a-z0-9_.]{1,29}[a-z0-9_]")
_SELF = [
    # (regex, gate: substrings one of which its match contains, kind, confidence)
    (regex, _gate(keys if isinstance(keys, tuple) else tuple(keys.split())), kind, confidence)
    for regex, keys, kind, confidence in [
        (_EMAIL, "@", "email", 0.97),
        # "at" only between spaces: "what", "that" and "chat" open no gate
        (
            _EMAIL_DISGUISED,
            (
                "(at)",
                "[at]",
                "{at}",
                " at ",
                "\nat",
                "at\n",
                "\tat",
                "at\t",
                "#",
                "艾特",
                "小老鼠",
                "圈a",
                "@",
            ),
            "email",
            0.9,
        ),
        (
            _EMAIL_PROVIDER,
            "gmail hotmail outlook yahoo icloud proton foxmail yandex",
            "email",
            0.85,
        ),
        (_LINK, "http www.", "link", 0.93),
        (_LINK_DISGUISED, "点 dot", "link", 0.85),
        (_WXID, "wxid_", "wechat", 0.97),
        (_SKYPE, "live:", "messenger", 0.95),
        (_DISCORD, "#", "messenger", 0.9),
        (_AT, "@", "handle", 0.8),
    ]
]

# The lookahead first: one cheap test per position instead of five branches
# with their lookbehinds (the regex runs on every text with seven digits)
_PHONES = re.compile(
    r"(?=[\d+(])(?:"
    + "|".join(
        [
            # Chinese mobile numbers, also "+86", spaced, in full-width or Chinese numerals
            rf"(?P<cn>(?<![\d+#.])(?<!\d[ \-])(?:(?:\+|00)?86{_SEP})?1{_SEP}[3-9](?:{_D}){{9}}(?!\d))",
            # international numbers with a leading + or 00
            rf"(?P<intl>(?<![\w+#.])(?:\+|00){_SEP}?[1-9]\d{{0,2}}(?:{_D}){{6,13}}(?!\d))",
            # landlines: "010-12345678", "(0755) 8888 6666"
            r"(?P<land>(?<![\d.])(?<!\d[ \-])(?:\(0\d{2,3}\)\s?|0\d{2,3}[\-\s])\d{3,4}[\-\s]?\d{4}(?!\d)(?![ \-]\d))",
            # North American: "(415) 555-0132", "415.555.0132", "917 555 0142"
            r"(?P<na>(?<![\d\-.,#])(?<!\d[ \-])(?:\(\d{3}\)\s?|\d{3}[\-.\s])\d{3}[\-.\s]\d{4}(?![\d\-,])(?![ \-]\d))",
            # UK and similar trunk-prefixed mobiles: "07700 900 461"
            r"(?P<uk>(?<![\d.,#])(?<!\d[ \-])0[1-9]\d{3}\s\d{3}\s?\d{3}(?!\d)(?![ \-]\d))",
            # other trunk-prefixed numbers of 10 to 12 digits, however grouped or
            # spaced: TW "0912-345-678", FR "06 12 34 56 78", JP "090-1234-5678",
            # KR "010-2345-6789", DE "0151 23456789", MY "012-345 6789"
            r"(?P<trunk>(?<![\d.,#])(?<!\d[ \-])0[ \-.()]{0,3}[1-9](?:[ \t\-.·()]{0,3}\d){8,10}(?!\d)(?![ \-]\d))",
        ]
    )
    + ")"
)


_PLATFORM_DOMAINS = frozenset(
    "tiktok.com douyin.com youtube.com instagram.com facebook.com twitter.com x.com weibo.com "
    "xiaohongshu.com bilibili.com kuaishou.com taobao.com amazon.com etsy.com shopify.com "
    "twitch.tv linkedin.com pinterest.com reddit.com".split()
)
_DISCORD_NOT = re.compile(r"(?:order|invoice|ticket|issue|pr|case|item|no|sku|ref|room|page|订单)#")


_WORD_BEFORE = re.compile(r"[a-z]+$")
_TIME = re.compile(r"\d[\d:.]*(?:am|pm|h|hrs?)?")
_PHONE_PREFIXES = frozenset(
    "tel phone mobile cell call v vx wx wechat weixin q qq whatsapp wa tg telegram no num number dh sj".split()
)


@functools.cache
def own_domains() -> frozenset[str]:
    """The platform's own domains: its site's, and its mail's where they are the
    site's (support@handoff.com beside www.handoff.com). An address there is where
    users are sent on purpose. A mail domain that is not the site's is left out: a
    small deployment sending from a public mailbox (no-reply@gmail.com) must not
    clear every address at that provider. Read from the settings when Django is
    configured; the detectors need no settings otherwise."""
    from django.conf import settings

    domains = {"handoff.local"}

    if settings.configured:
        site = _host(getattr(settings, "SITE_DOMAIN", ""))
        mail = [getattr(settings, n, "") for n in ("CONTACT_EMAIL", "DEFAULT_FROM_EMAIL")]
        mail += list(getattr(settings, "OPERATOR_EMAILS", []))
        if "." in site:
            domains.add(site)
            for address in mail:
                host = _host(str(address).rsplit("@", 1)[-1])
                related = site.endswith("." + host) or host.endswith("." + site)
                if "." in host and (host == site or related):
                    domains.add(host)
    return frozenset(domains)


def _host(value: str) -> str:
    return value.strip(" >").split(":")[0].lower().removeprefix("www.")


def _is_own(address: str) -> bool:
    host = address.split("://")[-1].split("/")[0].split("#")[0].rsplit("@", 1)[-1]
    host = host.removeprefix("www.")
    return any(host == d or host.endswith("." + d) for d in own_domains())


_AT_WORD = re.compile(r"\s?(?:\(at\)|\[at\]|\{at\}|\sat\s|艾特|圈a|小老鼠|\(@\)|#|@)\s?")


def _plain_address(spelled: str) -> str:
    """ "help at handoff dot com" → "help@handoff.com" (to compare its domain)."""
    local, _sep, domain = _AT_WORD.sub("@", spelled, count=1).rpartition("@")
    return f"{local}@{_spelled_domain(domain)}"


def _spelled_domain(spelled: str) -> str:
    parts = re.split(r"\s?(?:\.|点|\(dot\)|\[dot\]|\{dot\}|\sdot\s)\s?", spelled.strip())
    return ".".join(parts).removeprefix("www.")


def find_shapes(folded: str, digits: str, count: int | None = None):
    """Yield ``(kind, confidence, start, end)`` for every self-evident shape."""
    present = keys_in(folded)
    for regex, gate, kind, confidence in _SELF:
        if regex is _LINK and _TLD_GATE.search(folded):
            pass  # a bare domain may be there
        elif present.isdisjoint(gate.keys):
            continue
        for m in regex.finditer(folded):
            if regex is _LINK:
                bare = m.group().split("://")[-1].removeprefix("www.").rstrip("/")
                if bare in _PLATFORM_DOMAINS or _is_own(bare):
                    continue  # "sold on tiktok.com": the platform as a topic; our help pages
            elif regex in (_EMAIL, _EMAIL_DISGUISED) and _is_own(_plain_address(m.group())):
                continue  # "support@handoff.local", "help at handoff dot com": our own
            elif regex is _LINK_DISGUISED and (
                m.group("label") in _STOP
                or _spelled_domain(m.group()) in _PLATFORM_DOMAINS
                or _is_own(_spelled_domain(m.group()))
            ):
                continue  # "the dot com era"; "tiktok dot com" is the platform; ours
            elif regex is _DISCORD and _DISCORD_NOT.search(folded, max(0, m.start() - 8), m.end()):
                continue
            elif regex is _AT and (m.group()[1:] in _STOP or _TIME.fullmatch(m.group()[1:])):
                continue  # "@handle hidden until payment": a placeholder; "@9pm": a time
            yield kind, confidence, m.start(), m.end()
    if (digit_count(digits) if count is None else count) < 7:
        phones = ()
    else:
        phones = _PHONES.finditer(digits)
    for m in phones:
        number = m.group()
        start = m.start()
        glued = _WORD_BEFORE.search(digits, max(0, start - 12), start)
        if glued and glued.group() not in _PHONE_PREFIXES:
            continue  # "dy13800138000": digits inside an ID, not a phone
        if m.lastgroup == "trunk" and _DATE_INSIDE.search(number):
            continue  # "01.02.2025 12:00"
        if (
            _MASKED.search(number)
            or _order_like(digits, start)
            or ("." in number and _version_like(digits, start, number.strip()))
        ):
            continue
        if _COUNT_AFTER.match(digits, m.end()) and m.lastgroup != "cn":
            continue
        yield "phone", 0.95 if m.lastgroup in ("cn", "intl") else 0.85, start, m.end()
