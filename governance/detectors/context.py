"""What the words around a match say: negation before it ("请勿私下转账",
"never pay outside escrow"), disapproval after it ("… is against the rules").

The window stops at the clause's start, so a negation in an earlier clause
("不用担心，私下交易更便宜") does not cancel a later match.
"""

from __future__ import annotations

import re

# "、" lists things under one negation ("没有刷粉、互粉"): not a break
_UP_TO_LAST_BREAK = re.compile(r".*[。！？!?；;\n，,:：]", re.S)
_NEG_ZH = re.compile(
    r"不|勿|别|禁止|严禁|切勿|谨防|警惕|小心|防止|拒绝|杜绝|没(?!事|问题|关系|空)|无需|避免|举报|谨慎|提防|严防|打击|反对|拒|未"
    # reported speech: a report quoting someone else's ask ("卖家说可以先加微信",
    # "有人冒充客服要你加微信", "此人发消息说…")
    r"|(?:卖家|买家|对方|对面|他|她|有人|别人|骗子|那人|这人|此人|该用户|陌生人|商家|某人|客服)[^，。,]{0,6}?"
    r"(?:说|让|叫|要我|要你|要大家|要求|索要)"
    # a warning addressed to the reader: "让你去闲鱼交易的…", "凡是要你扫码的…"
    r"|(?:凡是|任何|如果有人|要是有人|若有人)[^，。,]{0,6}?(?:让|要|叫)|(?<![我])(?:让|叫|要)你"
)
_NEG_EN = re.compile(
    r"\b(?:not|no|never|don'?t|doesn'?t|didn'?t|won'?t|wouldn'?t|cannot|can'?t|shouldn'?t|mustn'?t"
    r"|isn'?t|aren'?t|avoid|beware|refuse|against|nor|stop|warning|scams?|scammers?|report"
    # reported speech ("a message saying 'add me on Line'", "he asked me to …")
    r"|saying|says|(?<!i\s)said|asked\s+me|asking\s+me|told\s+me|telling\s+me|wants?\s+me|wanted\s+me"
    # "the buyer wanted my WhatsApp", "he DM'd me asking to move to Telegram"
    r"|wanted|asked\s+(?:for|to)|asking\s+(?:for|to)|kept\s+asking|requested|demanded|dm'?d\s+me|messaged\s+me"
    # a conditional warning: "if anyone asks you to pay via Zelle …"
    r"|if\s+(?:anyone|someone|somebody|a\s+\w+|they|he|she|the\s+\w+)\s+(?:asks?|tells?|wants?|requests?|says?|offers?))\b"
)
_DISAPPROVAL_AFTER = re.compile(
    r"[^。！？!?；;\n，,]{0,12}?(?:is|are|was|were)?\s*(?:against\s+the\s+rules|not\s+allowed|prohibited|forbidden|banned"
    r"|a\s+scam|risky|unsafe|not\s+protected|dangerous|(?:have|has|with|offer)\s+no\s+(?:buyer\s+)?protection)"
    # the writer refused it ("…, I said no", "… — refused and reported")
    r"|[^。！？!?；;\n]{0,4}?\s*(?:i\s+)?(?:said\s+no|refused|declined|reported\s+(?:it|him|her|them))\b"
    # a quoted caption or example, not the writer's own ask
    r"|[^。！？!?；;\n，,]{0,24}?(?:is|was)\s+(?:just|only|simply)\s+(?:a|an|the)\s+(?:caption|title|quote|example|meme|joke|template)"
    r"|[^。！？!?；;\n，,]{0,8}?(?:是违规|违规|不允许|被禁止|是骗局|骗局|有风险|风险(?:大|高|很大)|不安全|容易被骗|是诈骗|诈骗"
    r"|骗子|骗人|是假的|忽悠|坑人|智商税|风险自负|后果自负|平台不管|不受保护"
    # not the writer's: "ins 上同名的号是粉丝建的", "same name on Instagram is taken by a fan page"
    r"|不是我|并非本人|粉丝建|别人建|冒充|仿冒|山寨)"
    r"|[^。！？!?；;\n，,]{0,24}?\b(?:taken\s+by|isn'?t\s+(?:me|mine)|is\s+not\s+(?:me|mine)|a\s+fan\s+page|impersonat\w*)"
    r"|[^。！？!?；;\n，,]{0,10}?(?:举报|报警|别信|不要信|要小心|当心|不受[^，。,]{0,4}保护|没有保障|无保障|不可信|是违规)"
)

ZH_WINDOW = 12


def _trie_pattern(words) -> str:
    """A regex matching exactly ``words``, as a trie: at each position ``re``
    follows one branch per character instead of trying every word."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


class Gate:
    """The substrings one of which every match of a pattern contains. All
    gates read one shared scan of the text (``_present``): the keys of every
    gate found in one pass, instead of one regex pass per gate."""

    __slots__ = ("keys",)
    refine = None  # a regex to confirm the keys' hit, on gates that need one

    def __init__(self, keys: tuple[str, ...]):
        self.keys = frozenset(keys)

    def search(self, text: str) -> bool:
        last = _LAST  # inlined memo check: gates are asked ~40 times a text
        return not self.keys.isdisjoint(last[1] if last[0] is text else _present(text))


_GATES: dict[tuple[str, ...], Gate] = {}
# built on first use from every gate's keys: (tries, prefixes); None when a
# gate was added since (assigned whole, so threads never see half of one)
_SCANNER: tuple | None = None
# the last text scanned and its keys (a tuple, replaced in one assignment)
_LAST: tuple = (None, frozenset())


def gate(keys: tuple[str, ...]) -> Gate:
    global _SCANNER
    found = _GATES.get(keys)
    if found is None:
        found = _GATES[keys] = Gate(keys)
        _SCANNER = None  # a new key: rebuild the shared scan
    return found


def _build_scanner() -> tuple:
    words = {k for keys in _GATES for k in keys}
    # a key found at a position also means every key that is a prefix of it
    prefixes = {w: frozenset(v for v in words if w.startswith(v)) for w in words}
    ascii_words = {w for w in words if w.isascii()}
    # (for ASCII texts, for the others): an ASCII text can hold ASCII keys only
    tries = tuple(
        [re.compile(_trie_pattern(part)) for part in parts if part]
        for parts in ((ascii_words,), (ascii_words, words - ascii_words))
    )
    return tries, prefixes


def keys_in(text: str) -> frozenset:
    """Every gate key in ``text``: loops over many gates test
    ``keys_in(text).isdisjoint(gate.keys)`` instead of calling each gate."""
    last = _LAST
    return last[1] if last[0] is text else _present(text)


def _present(text: str) -> frozenset:
    """Every gate key that occurs in ``text`` (memoised for the last text:
    the gates of one scan all ask about the same folded text)."""
    global _LAST, _SCANNER
    last = _LAST
    if last[0] is text:
        return last[1]
    if _SCANNER is None:
        _SCANNER = _build_scanner()
    tries, prefixes = _SCANNER
    found = {""}  # every text contains the empty key: ``Gate(("",))`` always passes
    for trie in tries[not text.isascii()]:
        search, pos = trie.search, 0
        while (m := search(text, pos)) is not None:
            found |= prefixes[m.group()]
            pos = m.start() + 1
    result = frozenset(found)
    _LAST = (text, result)
    return result


EN_WINDOW = 40


def clause_before(text: str, start: int, width: int = EN_WINDOW) -> str:
    window = text[max(0, start - width) : start]
    cut = _UP_TO_LAST_BREAK.match(window)
    return window[cut.end() :] if cut is not None else window


def negated(text: str, start: int, end: int) -> bool:
    """Is the match ``text[start:end]`` negated or disapproved of in its clause?
    ``text`` is the folded (lower-case) text."""
    before = clause_before(text, start)
    if _NEG_EN.search(before) or _NEG_ZH.search(before[-ZH_WINDOW:]):
        return True
    return bool(_DISAPPROVAL_AFTER.match(text, end, min(len(text), end + 40)))
