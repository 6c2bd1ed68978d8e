"""Automatic detectors for every text other people read (Chinese and English).

``scan_text(text) -> list[Finding]`` finds:

- off-platform contact details (``BEH-08``): phone numbers, WeChat / QQ /
  Telegram / WhatsApp / Line / Skype / Discord / Snapchat … handles and numbers,
  e-mail addresses, links, ``@handles`` — through the usual disguises;
- steering the payment off the platform (``BEH-09``);
- engagement bait (``BEH-01``);
- prohibited claims (``LST-12``).

How: ``normalise`` (index-preserving tables: Unicode compatibility forms,
look-alike letters, traditional cue characters, emoji as separators, Chinese
numerals for numbers), then ``contacts`` extracts candidates and judges each in
its context (cue words, topic vs channel, counts, order and version numbers),
``numbers`` reads numbers one code point cannot spell (words, leetspeak, ⑬, a
number in pieces) and bank cards, and ``phrases`` matches the other rules and
drops those negated or reported in their clause (the platform's own warnings, a
report quoting someone). Spans index the original text. docs/governance.md,
"Detectors", says what each step is for.

A finding is only ever a report for moderators
(``governance.services.record_automatic_findings``); nothing here sanctions
anyone. ``mask_contact_details`` hides the contact details themselves (not only
their labels) in what other people see. ``python -m governance.detectors.evaluate``
prints precision and recall per rule on the committed corpus.
"""

from __future__ import annotations

from dataclasses import dataclass

from .contacts import digit_count, find_contacts
from .normalise import views
from .numbers import find_card_numbers, find_spelled_numbers
from .payments import find_payments
from .phrases import find_phrases, find_star_bait

CONTACT = "BEH-08"
OFF_PLATFORM_DEAL = "BEH-09"
ENGAGEMENT_BAIT = "BEH-01"
PROHIBITED_CLAIM = "LST-12"
DETECTOR_RULES = (CONTACT, OFF_PLATFORM_DEAL, ENGAGEMENT_BAIT, PROHIBITED_CLAIM)

#: Bump when detection changes: every finding records it, and the rescan job
#: re-reads registered content when it differs from the last run's.
DETECTOR_VERSION = "2026.12.3"

CONTACT_KINDS = frozenset(
    {"email", "link", "wechat", "telegram", "messenger", "phone", "qq", "handle", "invite"}
)
#: Findings of other rules that are masked too (where to send the money).
MASKED_KINDS = frozenset({"bank_card", "bank_account", "wallet"})
_EDGE = " \t\r\n.,;:!?，。：；！？-"


@dataclass(frozen=True)
class Finding:
    rule_code: str
    span: tuple[int, int]
    excerpt: str
    confidence: float
    kind: str = ""
    version: str = DETECTOR_VERSION

    def as_evidence(self) -> dict:
        return {
            "rule_code": self.rule_code,
            "span": list(self.span),
            "excerpt": self.excerpt,
            "confidence": self.confidence,
            "kind": self.kind,
            "detector_version": self.version,
        }


def _raw(text: str):
    folded, digits = views(text)
    count = digit_count(digits)
    payments = list(find_payments(text, folded, digits, count))
    yield from payments
    # the digits of an IBAN or a wallet are not a phone ("DE89 3704 0044 …")
    accounts = [(s, e) for _r, k, _c, s, e in payments if k in ("bank_account", "wallet")]
    for kind, confidence, start, end in find_contacts(folded, digits, count):
        if accounts and any(s <= start and end <= e for s, e in accounts):
            continue
        yield CONTACT, kind, confidence, start, end
    for start, end in find_spelled_numbers(folded, digits, count):
        yield CONTACT, "phone", 0.85, start, end
    for start, end in find_card_numbers(digits, count):
        yield OFF_PLATFORM_DEAL, "bank_card", 0.85, start, end
    yield from find_phrases(folded)
    yield from find_star_bait(text, folded)


def scan_text(text: str | None) -> list[Finding]:
    """Findings in ``text``, ordered by position; overlapping findings of the same
    rule are merged (the wider span, the higher confidence). Spans index ``text``."""
    if not text:
        return []
    merged: list[list] = []
    for rule_code, kind, confidence, start, end in sorted(_raw(text), key=lambda r: (r[3], -r[4])):
        while end > start and text[end - 1] in _EDGE:
            end -= 1
        if end <= start:
            continue
        for item in reversed(merged):
            if item[0] == rule_code and start < item[4] and end > item[3]:
                item[3], item[4] = min(item[3], start), max(item[4], end)
                if confidence > item[2]:
                    item[1], item[2] = kind, confidence
                break
        else:
            merged.append([rule_code, kind, confidence, start, end])
    merged.sort(key=lambda m: m[3])
    return [
        Finding(rule_code=r, span=(s, e), excerpt=text[s:e], confidence=c, kind=k)
        for r, k, c, s, e in merged
    ]


def contact_spans(text: str | None) -> list[tuple[int, int]]:
    """The merged spans of what masking hides: contact details and bank cards."""
    spans = sorted(
        f.span for f in scan_text(text) if f.rule_code == CONTACT or f.kind in MASKED_KINDS
    )
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def mask_contact_details(text: str | None, replacement: str = "[***]") -> str:
    """``text`` with every off-platform contact detail — the number, handle or
    address itself together with its label — and bank card number replaced by
    ``replacement``."""
    if not text:
        return text or ""
    spans = contact_spans(text)
    if not spans:
        return text
    out, cursor = [], 0
    for start, end in spans:
        out.append(text[cursor:start])
        out.append(replacement)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


__all__ = [
    "CONTACT",
    "CONTACT_KINDS",
    "DETECTOR_RULES",
    "DETECTOR_VERSION",
    "ENGAGEMENT_BAIT",
    "OFF_PLATFORM_DEAL",
    "PROHIBITED_CLAIM",
    "MASKED_KINDS",
    "Finding",
    "contact_spans",
    "mask_contact_details",
    "scan_text",
]
