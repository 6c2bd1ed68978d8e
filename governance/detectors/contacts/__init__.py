"""Off-platform contact details (rule ``BEH-08``): extract candidates, then judge
each in its context.

Candidates come in two sorts:

- *self-evident* — an e-mail address, a link, a phone number in a phone's shape
  (Chinese mobile, ``+``/``00`` international, landline, North American, UK), a
  WeChat ``wxid_``, a Skype ``live:`` id, a Discord ``name#1234``, an ``@handle``.
  Only their own shape can clear them: an order or version number written like a
  phone ("Order #13800138000", "Build 1.3.8.0013.8000").
- *a channel and an identifier* — a cue naming a channel (WeChat and its
  homophones, QQ / 🐧 / a lone ``q`` / a QQ group, Telegram, WhatsApp, Line,
  Skype, Discord, Snapchat …, or a phone word) followed, across label words only
  ("号", "ID", "is", ":", "搜"), by a handle or a number. A platform named as a
  topic is not a channel: a topic word after the cue ("微信公众号", "Telegram
  channel") breaks the chain, and a number followed by a unit ("QQ群 500 人",
  "12k followers") is a count, not an identifier.
- *a channel invitation without an identifier* ("加我微信", "add me on
  WhatsApp", "V信") counts unless negated ("请勿加微信", "do not move to Telegram").

Numbers are read in the ``digits`` view (Chinese numerals as digits), everything
else in the ``fold`` view; both index the original text.

Modules by capability: ``shapes`` (self-evident shapes), ``cues`` (a channel
and an identifier), ``invites`` (invitations and pointers), ``guards`` (what
clears a candidate).
"""

from __future__ import annotations

from .cues import find_cue_ids
from .guards import _COUNT_AFTER, _DATE, _order_like, digit_count
from .invites import find_invites
from .shapes import find_shapes


def find_contacts(folded: str, digits: str, count: int | None = None):
    """Yield ``(kind, confidence, start, end)`` for every contact detail;
    ``count`` is ``digit_count(digits)`` when the caller has it."""
    yield from find_shapes(folded, digits, count)
    yield from find_cue_ids(folded, digits)
    yield from find_invites(folded, digits)


__all__ = ["_COUNT_AFTER", "_DATE", "_order_like", "digit_count", "find_contacts"]
