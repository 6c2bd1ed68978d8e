"""Every catalogue is complete: no untranslated and no fuzzy message (msgfmt)."""

import gettext
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(
    p for p in ROOT.glob("**/locale/*/LC_MESSAGES/django.po") if ".venv" not in p.parts
)  # the Chinese ones, and locale/en (allauth's labels in the site's English)


def test_catalogues_exist_for_every_app():
    owners = {p.parts[len(ROOT.parts)] for p in CATALOGUES}
    assert {"locale", "accounts", "listings", "escrow", "governance"} <= owners


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_complete_and_compiled(po):
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt (gettext) is required"
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
    )
    print(po.relative_to(ROOT), result.stderr.strip())
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run compilemessages"
    # The committed .mo is what `make run` serves (nothing compiles it on the way):
    # it holds exactly the .po's messages. A file's time proves nothing in a fresh
    # clone; an entry added to the .po without compiling showed in English.
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.mo"
        subprocess.run([msgfmt, "-o", str(fresh), str(po)], check=True)
        with fresh.open("rb") as f:
            expected = gettext.GNUTranslations(f)._catalog
    with mo.open("rb") as f:
        committed = gettext.GNUTranslations(f)._catalog
    stale = sorted(str(k) for k in expected.keys() ^ committed.keys())
    stale += sorted(
        str(k) for k in expected.keys() & committed.keys() if expected[k] != committed[k]
    )
    assert stale == [], f"{mo} is stale (run compilemessages): {stale[:5]}"


def _english_ids(po: Path) -> set[str]:
    from tests.marketplace.test_chinese_style import _translations

    return {m.replace('\\"', '"').replace("\\n", "\n") for m, _ in _translations(po)}


def test_django_and_allauth_messages_all_read_in_chinese():
    # Their own Chinese catalogues lag their message ids (Django 5.2 renamed the
    # password-length refusal): whatever they can show a person has a Chinese
    # translation, theirs or ours. Ids of one word (units, month abbreviations
    # of English dates) are left out.
    import allauth
    import django
    from django.utils import translation

    sources = [
        Path(django.__file__).parent / "conf/locale/en/LC_MESSAGES/django.po",
        Path(django.__file__).parent / "contrib/auth/locale/en/LC_MESSAGES/django.po",
        # The moderators' admin (its index table's column names lacked Chinese).
        Path(django.__file__).parent / "contrib/admin/locale/en/LC_MESSAGES/django.po",
        Path(allauth.__file__).parent / "locale/en/LC_MESSAGES/django.po",
    ]
    words = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}")
    missing = []
    with translation.override("zh-hans"):
        for po in sources:
            for msgid in sorted(_english_ids(po)):
                if not words.search(msgid):
                    continue
                if (
                    translation.gettext(msgid) == msgid
                    and translation.ngettext(msgid, msgid, 2) == msgid
                ):
                    missing.append(f"{po.parts[-5]}: {msgid!r}")
    assert missing == []


def _referenced_ids(po: Path, prefixes: tuple[str, ...]) -> set[tuple[str, str | None]]:
    """(msgid, msgid_plural) of ``po`` whose source reference starts with one of
    ``prefixes``."""
    found, refs, parts, key = set(), [], {}, None

    def unescape(text):
        return text.replace('\\"', '"').replace("\\n", "\n")

    for line in po.read_text(encoding="utf-8").splitlines():
        if line.startswith("#: "):
            refs.extend(line[3:].split())
        elif line.startswith(("msgid ", "msgid_plural ")):
            key = line.split(" ", 1)[0]
            parts[key] = line[len(key) + 2 : -1]
        elif line.startswith('"') and key:
            parts[key] += line[1:-1]
        elif line.startswith("msgstr"):
            if parts.get("msgid") and any(r.startswith(prefixes) for r in refs):
                plural = parts.get("msgid_plural")
                found.add((unescape(parts["msgid"]), plural and unescape(plural)))
            refs, parts, key = [], {}, None
    return found


def test_allauths_account_pages_read_in_chinese_without_english_words():
    # allauth's own Chinese leaves words such as "token" and "APP" in English
    # ("不正确的 token" on an expired reset link): ours replaces them. Only the parts
    # the site uses (accounts, second factor; no passkeys, no social login).
    import allauth
    from django.utils import translation

    po = Path(allauth.__file__).parent / "locale/zh_Hans/LC_MESSAGES/django.po"
    used = _referenced_ids(
        po,
        (
            "account/",
            "mfa/base",
            "mfa/totp",
            "mfa/recovery",
            "templates/account/",
            "templates/mfa/index",
            "templates/mfa/totp",
            "templates/mfa/recovery",
            "templates/mfa/authenticate",
            "templates/mfa/reauthenticate",
        ),
    )
    assert len(used) > 100
    allowed = {"TOTP", "JavaScript", "PIN", "IP"}
    english = []
    with translation.override("zh-hans"):
        for msgid, plural in sorted(used, key=str):
            if "passkey" in msgid.lower():
                continue  # passkeys are off (MFA_SUPPORTED_TYPES)
            said = translation.ngettext(msgid, plural, 2) if plural else translation.gettext(msgid)
            text = re.sub(r"%\(\w+\)s|%\w|<[^>]+>|\{[^}]*\}", "", said)
            words = set(re.findall(r"[A-Za-z]{2,}", text)) - allowed
            if words:
                english.append(f"{msgid!r}: {sorted(words)}")
            if "双因素" in said or "两步验证" in said:
                english.append(f"{msgid!r}: two-factor is 双重身份验证 here, not {said!r}")
            if re.search(r"\S [。，：；？！）]", said):
                english.append(f"{msgid!r}: a space before full-width punctuation in {said!r}")
    assert english == [], "\n".join(english)


JINJA2_TEMPLATES = sorted(
    p for p in ROOT.glob("*/jinja2/**/*.html") if ".venv" not in p.parts
)  # marketplace.jinja2: the shell, the listing cards and the listing page's parts


def _jinja2_messages(path: Path) -> list[tuple[str | None, str]]:
    """(context, message) of every ``_``/``gettext``/``pgettext`` call in a Jinja2
    template, as Jinja2 itself parses them (pgettext: makemessages misses it)."""
    from jinja2.ext import babel_extract

    found = []
    with path.open("rb") as source:
        for _line, function, message, _comments in babel_extract(
            source, ["_", "gettext", "pgettext"], [], {"extensions": "jinja2.ext.i18n"}
        ):
            if function == "pgettext":
                found.append((message[0], message[1]))
            else:
                found.append((None, message))
    return found


def test_every_jinja2_message_is_one_makemessages_reads_and_translated():
    # makemessages reads Jinja2 templates as Django templates: {{ _("…") }} is
    # Django's own syntax for a translated literal, so their text joins the one
    # catalogue. {% trans %} blocks and _() inside {% %} would be missed.
    from django.utils import translation
    from django.utils.translation.template import templatize

    assert JINJA2_TEMPLATES, "no Jinja2 templates found"
    problems, seen = [], 0
    for path in JINJA2_TEMPLATES:
        source = path.read_text(encoding="utf-8")
        assert "{% trans" not in source, f"{path}: use {{{{ _('…') }}}} (makemessages)"
        extracted = templatize(source, origin=str(path))
        for context, message in _jinja2_messages(path):
            seen += 1
            if repr(message)[1:-1] not in extracted and message not in extracted:
                problems.append(f"{path.name}: {message!r} not read by makemessages")
            with translation.override("zh-hans"):
                said = (
                    translation.pgettext(context, message)
                    if context
                    else translation.gettext(message)
                )
            if said == message:
                problems.append(f"{path.name}: {message!r} has no Chinese translation")
    assert seen > 20
    assert problems == [], "\n".join(problems)


def test_djangos_own_form_errors_read_as_our_chinese():
    # Django's Chinese says "确保该变量至少包含 20 字符(目前字符数 5)。" ("this
    # variable", a half-width bracket) under an appeal that was too short; the
    # length, choice and file-name errors a form shows read as the site writes.
    from django import forms
    from django.utils import translation

    class Sample(forms.Form):
        short = forms.CharField(min_length=20)
        long = forms.CharField(max_length=3)
        choice = forms.ChoiceField(choices=[("a", "A")])
        many = forms.MultipleChoiceField(choices=[("a", "A")])
        upload = forms.FileField(max_length=5)

    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"short": "short", "long": "too long", "choice": "x", "many": ["x"]}
    files = {"upload": SimpleUploadedFile("a-long-file-name.png", b"x")}
    with translation.override("zh-hans"):
        form = Sample(data, files)
        errors = [str(e) for field in form.errors.values() for e in field]
    assert len(errors) == 5, errors
    bad = re.compile(r"[\u4e00-\u9fff]\s?[(.,:;?!]|\)\s?[\u4e00-\u9fff]|变量|[。，：] ")
    assert [e for e in errors if bad.search(e)] == []
