"""The Chinese catalogues follow docs/glossary.md: one term per idea, one form of
address, full-width punctuation after Chinese text."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(
    p for p in ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po") if ".venv" not in p.parts
)
CJK = r"[\u4e00-\u9fff]"


def _translations(po: Path) -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs, continuation lines joined; the header is skipped."""
    pairs, key, current, parts = [], None, None, {}
    for line in po.read_text(encoding="utf-8").splitlines() + [""]:
        match = re.match(r'^(msgid|msgstr(?:\[\d+\])?|msgctxt|msgid_plural) "(.*)"$', line)
        if match:
            key = match.group(1)
            if key in ("msgid", "msgctxt") and "msgstr" in parts:
                current = parts
                parts = {}
            parts[key] = match.group(2)
        elif line.startswith('"') and key:
            parts[key] += line[1:-1]
        if current is not None:
            pairs.append(current)
            current = None
    pairs.append(parts)
    out = []
    for entry in pairs:
        msgstrs = [v for k, v in entry.items() if k.startswith("msgstr")]
        if entry.get("msgid"):
            out.extend((entry["msgid"], s) for s in msgstrs)
    return out


ALL = [(po, mid, mstr) for po in CATALOGUES for mid, mstr in _translations(po)]


def _offending(predicate):
    return [
        f"{po.relative_to(ROOT)}: {mid!r} → {mstr!r}" for po, mid, mstr in ALL if predicate(mstr)
    ]


def test_parser_sees_every_catalogue():
    assert len(ALL) > 1000


@pytest.mark.parametrize(
    "wrong, right",
    [
        ("版主", "审核员"),
        ("帐号", "账号"),
        ("帐户", "账户"),
        ("你", "您"),
        ("电子邮件", "邮件 (a message) or 邮箱 (an address)"),
        ("电子邮箱", "邮箱"),
        ("双因素", "双重身份验证"),
        ("处罚", "处置措施 (docs/glossary.md: measure / sanction)"),
        ("信誉", "信用状况 (docs/glossary.md: standing)"),
    ],
)
def test_one_term_and_one_form_of_address(wrong, right):
    assert _offending(lambda s: wrong in s.replace("您", "")) == [], f"use {right}"


def _words(text: str) -> str:
    """The text without placeholders, tags and mailto: links."""
    return re.sub(r"%\([^)]*\)[sd]|\{[^}]*\}|<[^>]*>", "", text)


def test_no_english_email_word_in_chinese():
    assert _offending(lambda s: re.search(r"(?i)\be-?mail\b", _words(s))) == []


def test_full_width_punctuation_after_chinese_text():
    # A half-width colon, comma, semicolon, question or exclamation mark straight
    # after a Chinese character (URLs and placeholders are not affected).
    assert _offending(lambda s: re.search(CJK + r"[:,;?!]", s)) == []
    assert _offending(lambda s: re.search(r"[:,;?!]" + CJK, s)) == []


TEMPLATES = sorted(
    p
    for p in ROOT.glob("**/templates/**/*")
    if p.suffix in (".html", ".txt") and ".venv" not in p.parts
)


def test_no_space_before_full_width_punctuation():
    # "请先 注册 。", "(%(email)s) 。": a space never comes before 。，：；？！）.
    assert _offending(lambda mstr: re.search(r"\S [。，：；？！）]", mstr)) == []


def test_templates_put_no_half_width_colon_after_a_translated_label():
    # "{% trans "Buyer" %}: …" reads "买家: …" in Chinese; {% colon %} gives "：".
    label_colon = re.compile(r'\{% (?:trans|translate) "[^"]+"(?: context "[^"]+")? %\}\s?:')
    offending = [
        f"{p.relative_to(ROOT)}: {m.group(0)}"
        for p in TEMPLATES
        for m in label_colon.finditer(p.read_text(encoding="utf-8"))
    ]
    assert offending == []


def test_templates_put_no_half_width_colon_after_a_translated_value():
    # The same after a translated value ("{{ f.label }}: …", "{{ x.get_status_display }}:
    # …") or a translated block; admin screens follow Django's own style.
    value_colon = re.compile(r"(?:\}\}|\{% endblocktrans(?:late)? %\}):\s")
    offending = [
        f"{p.relative_to(ROOT)}: {m.group(0)}"
        for p in TEMPLATES
        if "admin" not in p.parts
        for m in value_colon.finditer(re.sub(r"\{#.*?#\}", "", p.read_text(encoding="utf-8")))
    ]
    assert offending == []


def test_templates_put_no_space_after_a_label_that_ends_in_a_colon():
    # "{% trans "Rejected:" %} {{ reason }}" reads "已驳回： blurry": the space
    # belongs to English only; {% trans "Rejected" %}{% colon %} gives each its own.
    # (A link after the colon keeps its space: plain-text mail programs find it so.)
    label_space = re.compile(
        r'\{% (?:trans|translate) "[^"]*:" %\}(?:</\w+>)?[ \t]+\{(?!\{ \w*url )'
    )
    offending = [
        f"{p.relative_to(ROOT)}: {m.group(0)}"
        for p in TEMPLATES
        if "admin" not in p.parts
        for m in label_space.finditer(p.read_text(encoding="utf-8"))
    ]
    assert offending == [], "\n".join(offending)


def test_the_label_separator_is_full_width_in_chinese():
    from django.template import Context, Template
    from django.utils import translation

    source = '{% load i18n handoff %}{% trans "Price" %}{% colon %}9'
    with translation.override("zh-hans"):
        assert Template(source).render(Context()) == "价格：9"
    with translation.override("en"):
        assert Template(source).render(Context()) == "Price: 9"


def test_real_name_verification_is_one_term():
    # The nav said 实名认证 and the button on the same page 进行身份认证; only the
    # outside provider keeps 身份认证 (身份认证服务商, 身份认证合作方).
    other = re.compile(r"身份认证(?!服务商|合作方)")
    assert _offending(lambda s: bool(other.search(s))) == [], "use 实名认证 (docs/glossary.md)"
