"""Numbers that are not one phone shape: spelled digit by digit in words,
leetspeak, enclosed numbers above nine, Chinese numerals split by commas, a
number scattered in pieces after a phone word (all ``BEH-08``), and bank card
numbers (``BEH-09``: where the money should go). Spans index the original text.
"""

from __future__ import annotations

import re
import unicodedata

from .contacts.guards import _COUNT_AFTER, _DATE, _order_like, digit_count

_WORD_DIGITS = {
    w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine".split())
}
_WORD_DIGITS["oh"] = "0"  # "four one five, five five five, oh one two three"
# ⑩-⑳, ⑽-⒇, ⒑-⒛, ⓫-⓴, ❿ ➉ ➓, ㉑-㊿: one character, two digits
_ENCLOSED = {
    chr(code): str(int(unicodedata.numeric(chr(code))))
    for start, end in (
        (0x2469, 0x2473),
        (0x247D, 0x2487),
        (0x2491, 0x249B),
        (0x24EB, 0x24F4),
        (0x277F, 0x277F),
        (0x2789, 0x2789),
        (0x2793, 0x2793),
        (0x3251, 0x325F),
        (0x32B1, 0x32BF),
    )
    for code in range(start, end + 1)
}
_ENCLOSED_CLASS = "".join(sorted(_ENCLOSED))
# l and o only: "i5 i7 1080 1440" are processors and resolutions
_LEET = {"l": "1", "o": "0"}
_SPELL_TOKEN = (
    r"(?<![a-z])(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)(?![a-z])"
    rf"|[{_ENCLOSED_CLASS}]|\d|(?<=\d)[lo]|(?<=\d[lo])[lo]|[lo](?=[lo]?\d)"
)
# between tokens: separators, or a word that carries on ("…five, then zero…")
_SPELL_GAP = (
    r"[\s,，、.\-/|·*~_()]{0,3}(?:(?:then|and|next|然后|再|接着|后面是?)[\s,，、.\-/|·*~_()]{0,3})?"
)
_SPELLED = re.compile(rf"(?:{_SPELL_TOKEN})(?:{_SPELL_GAP}(?:{_SPELL_TOKEN})){{6,}}")
_SPELL_TOKENS = re.compile(_SPELL_TOKEN)
# cheap gates: every branch starts with a literal or a digit, so re skips ahead
_SPELL_WORDS = re.compile(r"zero|one|two|three|four|five|six|seven|eight|nine")
# then only where one is a word of its own or glued to a digit ("8one8"), not "monetised"
_SPELL_WORD = re.compile(
    r"(?<![a-z])(?:zero|one|two|three|four|five|six|seven|eight|nine)(?![a-z])"
)
_SPELL_CHARS = re.compile(rf"[{_ENCLOSED_CLASS}]|\d(?:[lo]|(?<=[lo]\d)|[,、]\d)")
_CN_MOBILE = re.compile(r"(?:86)?1[3-9]\d{9}")
# a North American number told in its three pieces: "starts with 917, then 555, then 0199"
_NA_PIECES = (3, 3, 4)
_NUMBER_CUE = re.compile(
    r"(?:电话|手机|号码|联系|打|微信|vx|wx|扣扣|qq|(?<![a-z])(?:whatsapp|phone|number|digits|call|ring|text|tel"
    r"|cell|mobile|contact|reach|me\s+at|is)(?![a-z]))[^\d]{0,12}$"
)
_SCATTER_CUE = re.compile(r"手机|电话|号码|phone|number|mobile|cell")


def _spelled_ok(
    folded: str, digits: str, start: int, end: int, number: str, disguised: int
) -> bool:
    if _COUNT_AFTER.match(digits, end) or _order_like(digits, start) or _DATE.fullmatch(number):
        return False
    if _CN_MOBILE.fullmatch(number):
        return True
    if 10 <= len(number) <= 13 and disguised >= 2:
        return True
    return len(number) >= 7 and bool(_NUMBER_CUE.search(folded, max(0, start - 16), start))


def find_spelled_numbers(folded: str, digits: str, count: int):
    """Yield ``(start, end)`` of phone numbers that are not one digit per code
    point: words ("six four six …", "8one8"), leetspeak ("9l7-555-Ol42"), enclosed
    numbers above nine ("⑬⑨⑫…"), Chinese numerals split by commas
    ("幺三八，幺二三四，…"), and a number scattered in pieces after a phone word
    ("前面是 139 / 中间 4021 / 最后 5567")."""
    if (_SPELL_WORDS.search(folded) and _SPELL_WORD.search(folded)) or (
        count >= 5 and _SPELL_CHARS.search(digits)
    ):
        for m in _SPELLED.finditer(digits):
            number, disguised = [], 0
            for t in _SPELL_TOKENS.finditer(m.group()):
                tok = t.group()
                if tok in _WORD_DIGITS:
                    number.append(_WORD_DIGITS[tok])
                    disguised += 1
                elif tok in _ENCLOSED:
                    number.append(_ENCLOSED[tok])
                    disguised += 2  # one character for two digits is never ordinary
                elif tok in _LEET:
                    number.append(_LEET[tok])
                    disguised += 1
                else:
                    number.append(tok)
                    if not folded[m.start() + t.start()].isdigit():
                        disguised += 1  # a Chinese numeral
            if disguised < 2:
                continue  # plain digits: the phone shapes above judge them
            joined = "".join(number)
            if _spelled_ok(folded, digits, m.start(), m.end(), joined, disguised):
                yield m.start(), m.end()
    if count < 10:
        return
    for cue in _SCATTER_CUE.finditer(folded):
        if folded.startswith(" of ", cue.end()):
            continue  # "number of posts: 250, 450, 3000" counts
        groups = list(re.finditer(r"\d{2,4}", digits[cue.end() : cue.end() + 60]))
        for first in range(len(groups)):
            joined, last = "", first
            for last in range(first, len(groups)):
                if last > first and groups[last].start() - groups[last - 1].end() > 8:
                    break
                joined += groups[last].group()
                if len(joined) >= 11:
                    break
            if last > first and _CN_MOBILE.fullmatch(joined):
                yield cue.end() + groups[first].start(), cue.end() + groups[last].end()
                break
            pieces = groups[first : first + 3]
            if (
                tuple(len(g.group()) for g in pieces) == _NA_PIECES
                and pieces[0].group()[0] in "23456789"
                # "646, then 555, last four 0133": a few words between the pieces
                and all(b.start() - a.end() <= 14 for a, b in zip(pieces, pieces[1:], strict=False))
                and not _COUNT_AFTER.match(digits, cue.end() + pieces[-1].end())
            ):
                yield cue.end() + pieces[0].start(), cue.end() + pieces[-1].end()
                break
        break  # the first phone word only


# A bank card number is where the seller wants the money: it steers the payment
# off the platform (BEH-09) and is masked like a contact detail.
_CARD = re.compile(
    r"(?<![\d.])(?<!\d[ \-])(?:[3-6]\d{3}(?:[ \-]\d{4}){3}(?:[ \-]?\d{1,3})?|[3-6]\d{15,18})(?!\d)(?![ \-]\d)"
)
_CARD_CUE = re.compile(r"(?:卡号?|银行|账号|账户|card|iban|acct|account)[^\d]{0,8}$")


def find_card_numbers(digits: str, count: int | None = None):
    """Yield ``(start, end)`` of bank card numbers: grouped by four, or a long
    run right after a card word (an order number is neither)."""
    if (digit_count(digits) if count is None else count) < 15:
        return
    for m in _CARD.finditer(digits):
        grouped = not m.group().isdigit()
        if grouped or _CARD_CUE.search(digits, max(0, m.start() - 12), m.start()):
            if not _order_like(digits, m.start()):
                yield m.start(), m.end()
