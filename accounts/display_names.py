"""Display names that cannot impersonate (rule ADM-04 at the door).

A display name is refused when it
- is another member's name once case, width, spacing, punctuation, accents and the
  usual look-alike characters are set aside (``Demo Seller``, ``demo  seller``,
  ``ＤＥＭＯ　ＳＥＬＬＥＲ``, ``Dem0-Seller``, Cyrillic ``Dеmo Seller``);
- has the shape of an e-mail address (``buyer@demo.handoff.test``, full-width ＠,
  ``buyer (at) demo (dot) test``) or of the name shown for members without one
  (``user42``);
- contains a word that claims to speak for the site: its name (Handoff), moderator,
  admin, staff, support, official … and their Chinese forms (审核员, 管理员, 客服,
  官方, 平台 …), also when spelled with spaces, look-alikes or camel case. Staff
  accounts may use these words: they are the site.

``name_key`` is the comparison form, stored on ``User.display_name_key`` so the
check is one indexed query.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "taken": _(
        "Another member already uses this name (or one that looks the same). Choose another."
    ),
    "email": _("A display name cannot be an e-mail address."),
    "default_name": _("Names like “user123” are kept for members without a display name."),
    "reserved": _(
        "A display name cannot contain “%(word)s”: it would look like Handoff staff or the "
        "site itself (rule ADM-04)."
    ),
    "invisible": _("Remove the invisible or control characters from the name."),
}

# Words of the site and its staff. Distinctive ones are refused anywhere in the name
# (once spaces and look-alikes are gone); common ones only as a word of their own
# (camel case and separators split words), so "Badminton" or "Staffordshire" pass.
RESERVED_ANYWHERE = (
    "handoff",
    "moderator",
    "administrator",
    "helpdesk",
    "customerservice",
    "customersupport",
)
RESERVED_PREFIX_OR_SUFFIX = ("admin",)  # adminbob, superadmin, sysadmin; not badminton
RESERVED_WORDS = (
    "mod",
    "mods",
    "moderation",
    "staff",
    "support",
    "official",
)
# Chinese forms (simplified and traditional): refused anywhere in the name.
RESERVED_CJK = (
    "审核员",
    "審核員",
    "审核",
    "審核",
    "管理员",
    "管理員",
    "管理者",
    "客服",
    "官方",
    "平台",
    "版主",
    "站长",
    "站長",
    "工作人员",
    "工作人員",
)

# Characters that look like Latin letters (Cyrillic, Greek) and digits that stand in
# for letters; applied after case folding.
_LOOKALIKES = str.maketrans(
    {
        "а": "a",
        "в": "b",
        "е": "e",
        "ё": "e",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "і": "i",
        "ї": "i",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "ɡ": "g",
        "α": "a",
        "β": "b",
        "ε": "e",
        "η": "n",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
        "0": "o",
        "1": "l",
        "!": "l",
        "|": "l",
        "i": "l",  # i, l, 1 and I look alike: one letter for all
        "3": "e",
        "4": "a",
        "@": "a",
        "5": "s",
        "$": "s",
        "7": "t",
        "8": "b",
    }
)
_ZWJ = "\u200d"
_EMAIL = re.compile(
    r"[^\s@]+\s*(?:@|\(at\)|\[at\]|\{at\}|<at>|\sat\s)\s*[^\s@]+\s*"
    r"(?:\.|\(dot\)|\[dot\]|\{dot\}|<dot>|\sdot\s)\s*[a-z0-9-]{2,}"
)
_DEFAULT_NAME = re.compile(r"^user\d+$")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")  # digits stay: they may stand for letters


def clean_display_name(value: str) -> str:
    """The name as stored: NFC, control and format characters removed (bidi
    overrides, zero-width spaces; the zero-width joiner of emoji is kept), runs of
    spaces collapsed."""
    value = unicodedata.normalize("NFC", value or "")
    kept = "".join(
        ch for ch in value if ch == _ZWJ or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")
    )
    return " ".join(kept.split())


def _fold(value: str) -> str:
    """NFKC (full width → normal width), case folded, accents dropped."""
    value = unicodedata.normalize("NFKC", value).casefold()
    value = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in value if not unicodedata.combining(ch))


def _skeleton(folded: str) -> str:
    """Letters and digits only, look-alikes mapped to one letter."""
    mapped = folded.translate(_LOOKALIKES)
    squashed = "".join(ch for ch in mapped if ch.isalnum())
    return squashed.replace("rn", "m").replace("vv", "w")


KEY_LENGTH = 200  # NFKC can lengthen a name many times (ligatures); the column is capped


def name_key(value: str) -> str:
    """The form two display names are compared in: equal keys look the same."""
    return _skeleton(_fold(clean_display_name(value)))[:KEY_LENGTH]


def _words(value: str) -> list[str]:
    """Words of the name: split on anything but letters and digits and at camel-case
    boundaries; a run of single letters ("A d m i n") is joined."""
    value = unicodedata.normalize("NFKC", value)
    parts = [p for p in re.split(r"[^\w]+|_", value) if p]
    words: list[str] = []
    for part in parts:
        words.extend(w for w in _CAMEL.split(part) if w)
    joined: list[str] = []
    run = ""
    for word in words:
        if len(word) == 1:
            run += word
            continue
        if run:
            joined.append(run)
            run = ""
        joined.append(word)
    if run:
        joined.append(run)
    # Camel-case pieces are also tried glued to their neighbour ("HandOff").
    glued = ["".join(words[i : i + 2]) for i in range(len(words) - 1)]
    return [_skeleton(_fold(w)) for w in joined + glued]


_ANYWHERE = [(w, _skeleton(w)) for w in RESERVED_ANYWHERE]
_AFFIX = [(w, _skeleton(w)) for w in RESERVED_PREFIX_OR_SUFFIX]
_WORDS = {_skeleton(w): w for w in RESERVED_WORDS}
_WORDS.update({_skeleton(w) + "s": w for w in RESERVED_WORDS})


def reserved_word_in(value: str) -> str | None:
    """The reserved word ``value`` contains, as it would be written, or None."""
    whole = _skeleton(_fold(clean_display_name(value)))
    for word in RESERVED_CJK:  # spaces and punctuation between the characters are gone
        if word in whole:
            return word
    for word, skeleton in _ANYWHERE:
        if skeleton in whole:
            return word
    for token in _words(value):
        for word, skeleton in _ANYWHERE:
            if skeleton in token:
                return word
        for word, skeleton in _AFFIX:
            if token.startswith(skeleton) or token.endswith(skeleton):
                return word
        if token in _WORDS:
            return _WORDS[token]
    return None


def validate_display_name(value: str, *, user=None, allow_reserved: bool = False) -> str:
    """The cleaned name, or ``ValidationError`` with a message for the field.

    ``user``: whose name it is (their own current name never counts as taken).
    ``allow_reserved``: staff accounts may call themselves moderators.
    An empty name is allowed (the member is shown as "user<id>").
    """
    User = get_user_model()  # the model imports this module (name_key on save)

    name = clean_display_name(value)
    if value and value.strip() and not name:
        raise ValidationError(MESSAGES["invisible"], code="invisible")
    if not name:
        return ""
    folded = _fold(name)
    if _EMAIL.search(folded) or ("@" in folded and "." in folded.split("@", 1)[1]):
        raise ValidationError(MESSAGES["email"], code="email")
    if _DEFAULT_NAME.match("".join(ch for ch in folded if ch.isalnum())):
        raise ValidationError(MESSAGES["default_name"], code="default_name")
    # The field's own validators too (governance attaches the contact-details one).
    for validator in User._meta.get_field("display_name").validators:
        validator(name)
    if not allow_reserved:
        word = reserved_word_in(name)
        if word is not None:
            raise ValidationError(MESSAGES["reserved"], code="reserved", params={"word": word})
    key = name_key(name)[:KEY_LENGTH]
    if key:
        others = User.objects.filter(display_name_key=key)
        if user is not None and user.pk is not None:
            others = others.exclude(pk=user.pk)
        if others.exists():
            raise ValidationError(MESSAGES["taken"], code="taken")
    return name


def lock_name_key(key: str) -> None:
    """Hold a transaction-scoped advisory lock on a name key (PostgreSQL; SQLite runs
    one writer at a time anyway), so two members cannot claim look-alike names at
    once. Call inside ``transaction.atomic``."""
    if not key or connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(key.encode(), digest_size=8, person=b"displayname").digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)]
        )
