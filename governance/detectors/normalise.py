"""Index-preserving normalisation: every table maps one code point to one
character, so a span found in the normalised text is a span of the original.

``fold`` (``FOLD``): full-width ASCII to ASCII, letters to lower case, circled /
parenthesised / squared / mathematical letters and digits to plain ones,
zero-width characters to spaces. ``digits`` (``DIGITS``) does the same and also
reads Chinese numerals (一二三, 壹贰叁, 幺 洞 拐 勾) as digits — only for finding
numbers, never for phrases ("一键三连" must stay words).
"""

from __future__ import annotations


def _letters(table: dict[int, str], start: int, *, upper_first: bool = True) -> None:
    for i in range(26):
        table[start + i] = chr(ord("a") + i)


def _build() -> tuple[dict[int, str], dict[int, str]]:
    fold: dict[int, str] = {}
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII
        fold[code] = chr(code - 0xFEE0).lower()
    for code in range(ord("A"), ord("Z") + 1):
        fold[code] = chr(code).lower()
    fold[0x3000] = " "  # ideographic space
    # zero-width characters, variation selectors and the keycap mark ("1️⃣")
    for code in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00A0, 0xFE0F, 0xFE0E, 0x20E3):
        fold[code] = " "
    for start in (0x24B6, 0x24D0, 0x249C, 0x1F130, 0x1F150, 0x1F170, 0x1F1E6):
        _letters(fold, start)  # Ⓐ ⓐ ⒜ 🄰 🅐 🅰 and regional indicators
    for start in range(0x1D400, 0x1D6A4, 26):  # mathematical bold/italic/script … letters
        _letters(fold, start)
    for start in range(0x1D7CE, 0x1D800, 10):  # mathematical digits
        for i in range(10):
            fold[start + i] = str(i)
    for offset in range(9):  # ①-⑨, ❶-❾, ➀-➈, ➊-➒, ⑴-⑼, ⒈-⒐
        for start in (0x2460, 0x2776, 0x2780, 0x278A, 0x2474, 0x2488):
            fold[start + offset] = str(offset + 1)
    for code in (0x24EA, 0x24FF, 0x1F10B, 0x1F10C):  # ⓪ ⓿ and dingbat zeros
        fold[code] = "0"
    for i in range(10):  # superscript/subscript digits are still digits
        fold[0x2080 + i] = str(i)
    fold.update({0x00B9: "1", 0x00B2: "2", 0x00B3: "3"})
    for i in range(4, 10):
        fold[0x2070 + i] = str(i)
    fold[0x2070] = "0"
    for ch in "＠﹫":
        fold[ord(ch)] = "@"
    for ch in "。｡":  # a full stop inside an address is a dot
        fold[ord(ch)] = "."
    fold[ord("（")] = "("
    fold[ord("）")] = ")"

    digits = dict(fold)
    chinese = {
        "零〇洞": "0",
        "一壹幺": "1",
        "二贰": "2",
        "三叁": "3",
        "四肆": "4",
        "五伍": "5",
        "六陆": "6",
        "七柒拐": "7",
        "八捌": "8",
        "九玖勾": "9",
    }
    for chars, digit in chinese.items():
        for ch in chars:
            digits[ord(ch)] = digit
    return fold, digits


FOLD, DIGITS = _build()


def fold(text: str) -> str:
    return text.translate(FOLD)


def digits(text: str) -> str:
    return text.translate(DIGITS)
