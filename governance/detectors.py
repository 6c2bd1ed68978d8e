"""Automatic detectors for listing text and deal messages (Chinese and English).

``scan_text(text) -> list[Finding]`` finds:

- off-platform contact details (rule ``BEH-08``): phone numbers (Chinese mobiles,
  landlines, international numbers), WeChat/QQ/Telegram/WhatsApp/Line handles,
  e-mail addresses and links — including the usual disguises: full-width or
  circled digits, Chinese numerals, spaces or symbols between digits, homophones
  ("V信", "薇信", "威信", "加微", "vx", "tg", "扣扣", "飞机"), "at … dot com";
- steering the payment off the platform (``BEH-09``): "私下交易", "pay me directly";
- engagement bait (``BEH-01``): "求点赞", "一键三连", "follow for follow", "好评返现";
- prohibited claims (``LST-12``): "永不封号", "稳赚不赔", "guaranteed income".

A finding is only ever a report for moderators (``services.record_automatic_findings``);
nothing here sanctions anyone. ``mask_contact_details`` hides contact details in
deal messages before the other party sees them.

Speed: the text is normalised with two index-preserving ``str.translate`` tables
(spans stay valid for the original text) and scanned by two pre-compiled combined
regular expressions; nothing is compiled or loaded per call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CONTACT = "BEH-08"
OFF_PLATFORM_DEAL = "BEH-09"
ENGAGEMENT_BAIT = "BEH-01"
PROHIBITED_CLAIM = "LST-12"
DETECTOR_RULES = (CONTACT, OFF_PLATFORM_DEAL, ENGAGEMENT_BAIT, PROHIBITED_CLAIM)

#: Bump when the patterns change: the rescan job then re-reads registered content.
DETECTOR_VERSION = "2026.11.1"


@dataclass(frozen=True)
class Finding:
    rule_code: str
    span: tuple[int, int]
    excerpt: str
    confidence: float
    kind: str = ""

    def as_evidence(self) -> dict:
        return {
            "rule_code": self.rule_code,
            "span": list(self.span),
            "excerpt": self.excerpt,
            "confidence": self.confidence,
            "kind": self.kind,
        }


# ------------------------------------------------------------------ normalisation


def _build_tables() -> tuple[dict[int, str], dict[int, str]]:
    base: dict[int, str] = {}
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII
        base[code] = chr(code - 0xFEE0)
    base[0x3000] = " "  # ideographic space
    for offset in range(9):  # ①-⑨, ❶-❾, ➀-➈, ⑴-⑼ (parenthesised), ⒈-⒐
        digit = str(offset + 1)
        for start in (0x2460, 0x2776, 0x2780, 0x278A, 0x2474, 0x2488):
            base[start + offset] = digit
    base[0x24EA] = "0"  # ⓪
    base[0x24FF] = "0"
    for code in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF):  # zero-width characters
        base[code] = " "
    digits = dict(base)
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
    return base, digits


_NORM, _DIGITS = _build_tables()

# --------------------------------------------------------------------- patterns

_NOT_WORD_BEFORE = r"(?<![A-Za-z0-9_])"
_NOT_WORD_AFTER = r"(?![A-Za-z0-9_])"
_SEP = r"[\s\-_.·•*/|~—–()（）\[\]]{0,3}"  # what people put between digits
_D = rf"{_SEP}\d"
_HANDLE = r"@?[A-Za-z][A-Za-z0-9_\-.]{4,30}[A-Za-z0-9_]" + _NOT_WORD_AFTER
_NUMBER_ID = r"\d(?:[\s\-]?\d){4,12}(?!\d)"
_LOOSE = r"[\s:：=\-~～是为]{0,4}(?:号码?|id|ID|账号)?[\s:：=\-~～是为]{0,4}"
_STRICT = r"(?:\s*(?:id|username|handle|number|no\.?|#)?\s*(?:[:：=]|\bis\b)\s*|\s+(?=@))"

# WeChat and its disguises. "微信" alone is a platform (公众号, 视频号 are listed!),
# so it counts only with a handle or an "add me" verb; the homophones are flagged
# on their own because they exist only to dodge filters.
_WX_DISGUISED = r"(?:[vV威薇徽维嶶][\s\-_.*]{0,2}信|微[\s\-_.*]{1,2}信|[vV]❤|微❤信?|绿泡泡|卫星号|微[\s\-_.*]?x|薇[\s\-_.*]?x)"
_WX_ABBR = _NOT_WORD_BEFORE + r"(?:vx|wx|v[\s.]x|w[\s.]x|wei\s?xin|v\s?信)" + _NOT_WORD_AFTER
_WX_ZH = rf"(?:微信|{_WX_DISGUISED}|{_WX_ABBR})"
_WX_EN = _NOT_WORD_BEFORE + r"(?:we\s?chat|weixin)" + _NOT_WORD_AFTER
_QQ = r"(?:" + _NOT_WORD_BEFORE + r"q\s?q" + _NOT_WORD_AFTER + r"|扣扣|抠抠|寇寇|口口|企鹅)"
_TG_ZH = r"(?:电报|纸飞机|飞机号|" + _NOT_WORD_BEFORE + r"tg" + _NOT_WORD_AFTER + r")"
_APPS_EN = (
    _NOT_WORD_BEFORE
    + r"(?:telegram|whats\s?app|line|signal|skype|discord|kakao(?:talk)?|viber|snapchat|snap|instagram|ig|facebook|messenger|wechat|weixin|tg|wa)"
    + _NOT_WORD_AFTER
)
_ADD_VERB_ZH = (
    r"(?:(?<![已未没])加|\+|➕|添加|加个|加下|加一下|加我|\+我|加好友|联系|找我|私我|私聊|走|转)"
)
_ADD_TARGET_ZH = (
    r"(?:微信|薇信|威信|徽信|[vV]信|微(?![博软商店视])|薇|威(?!望|力|胁)|[vV](?![\s]?(?:认证|标|用户|博主|号主|账号|会员|\d))"
    r"|vx|wx|扣扣|企鹅|q\s?q|电报|飞机|tg|whatsapp|line|绿泡泡)"
)

_CONTACT_NORM = [
    # e-mail, plain and disguised ("name at gmail dot com", "123#qq.com", "艾特")
    (
        "email",
        0.97,
        r"(?<![\w.%+-])[A-Za-z0-9._%+-]{2,64}\s?(?:@|＠)\s?[A-Za-z0-9-]+(?:[.。][A-Za-z0-9-]+)*[.。][A-Za-z]{2,10}"
        + _NOT_WORD_AFTER,
    ),
    (
        "email",
        0.9,
        r"(?<![\w.])[A-Za-z0-9._%+-]{2,64}\s?(?:\(at\)|\[at\]|\sat\s|#|艾特|圈a|\(@\))\s?[A-Za-z0-9-]{2,}\s?"
        r"(?:\.|。|点|\(dot\)|\[dot\]|\sdot\s)\s?(?:com|cn|net|org|io|me|co)" + _NOT_WORD_AFTER,
    ),
    # links and bare domains
    ("link", 0.95, r"(?:https?://|www\.)[^\s，。！？、）)\]】>\"'<]+"),
    (
        "link",
        0.9,
        r"(?<![@\w.\-])(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+"
        r"(?:com|cn|net|org|io|me|ly|co|cc|top|xyz|info|app|link|gg|tv|uk|hk|tw|sg|ru|biz|site|online|shop|vip|club|store|live|page)"
        r"(?![A-Za-z0-9\-])(?:/[^\s，。！？、）)\]】>\"'<]*)?",
    ),
    (
        "link",
        0.85,
        r"(?<![\w.])[A-Za-z0-9\-]{2,}\s?(?:点|\(dot\)|\[dot\])\s?(?:com|cn|net|org|me|io)"
        + _NOT_WORD_AFTER,
    ),
    # "加微信 abc123", "加V", "+vx", "找我飞机" …, with the handle if one follows
    ("wechat", 0.9, rf"{_ADD_VERB_ZH}\s?{_ADD_TARGET_ZH}(?:{_LOOSE}(?:{_HANDLE}|{_NUMBER_ID}))?"),
    # "微信号：abc123", "vx abc_123", "V信 abc123"
    ("wechat", 0.95, rf"{_WX_ZH}{_LOOSE}(?:{_HANDLE}|{_NUMBER_ID})"),
    ("wechat", 0.95, rf"{_WX_EN}{_STRICT}(?:{_HANDLE}|{_NUMBER_ID})"),
    # disguised WeChat names on their own ("V信", "薇信", "vx", "绿泡泡")
    ("wechat", 0.75, rf"{_WX_DISGUISED}|{_NOT_WORD_BEFORE}(?:vx|v\s?信){_NOT_WORD_AFTER}"),
    # Telegram / WhatsApp / Line / … with a handle
    ("telegram", 0.95, rf"{_TG_ZH}{_LOOSE}{_HANDLE}"),
    ("messenger", 0.95, rf"{_APPS_EN}(?:\s?id)?{_STRICT}(?:live:)?(?:{_HANDLE}|\+?{_NUMBER_ID})"),
    # "add me on WhatsApp", "DM me on Instagram", "let's move to Telegram"
    (
        "messenger",
        0.85,
        r"(?:add|contact|message|msg|text|dm|pm|reach|find|ping|hit|call|chat with|talk to|write to)\s+(?:me|us)\s+"
        r"(?:up\s+)?(?:on|at|via|through|in|over)\s+(?:my\s+)?" + _APPS_EN,
    ),
    (
        "messenger",
        0.85,
        r"(?:move|switch|continue|talk|chat|go|take (?:this|it))\s+(?:this\s+)?(?:to|on|over to)\s+"
        + _APPS_EN,
    ),
    ("messenger", 0.85, r"(?:my|our)\s+" + _APPS_EN + r"\s+(?:is|number|id|handle)\b"),
    ("link", 0.9, r"(?:t|wa)\.me/[A-Za-z0-9_+]+"),
]

_CONTACT_DIGITS = [
    # Chinese mobile numbers, also "+86", full-width, spaced or in Chinese numerals
    ("phone", 0.95, rf"(?<![\d+])(?:\+?86{_SEP})?1{_SEP}[3-9](?:{_D}){{9}}(?!\d)"),
    # international numbers with a leading +
    ("phone", 0.9, rf"(?<![\w+])\+{_SEP}?\d{{1,3}}(?:{_D}){{6,13}}(?!\d)"),
    # landlines: "010-12345678", "(0755) 8888 6666"
    ("phone", 0.85, r"(?<!\d)(?:\(0\d{2,3}\)\s?|0\d{2,3}[\-\s])\d{3,4}[\-\s]?\d{4}(?!\d)"),
    # North American style: "(415) 555-0132", "415-555-0132"
    ("phone", 0.8, r"(?<![\d\-.])(?:\(\d{3}\)\s?|\d{3}[\-.\s])\d{3}[\-.]\d{4}(?![\d\-])"),
    # QQ numbers and numbers after a phone/QQ/WeChat keyword
    ("qq", 0.95, rf"{_QQ}(?:号|群|邮箱)?{_LOOSE}\d(?:{_D}){{4,11}}(?!\d)"),
    (
        "phone",
        0.9,
        r"(?:电话|手机号?|手机号码|电话号码|联系方式|联系电话|tel|phone|mobile|cell|call|whats\s?app|wa|vx|wx|微信|v信)"
        + _LOOSE
        + rf"\+?\d(?:{_D}){{5,14}}(?!\d)",
    ),
]

_DEAL = [
    (
        "off_platform",
        0.85,
        r"私下(?:交易|转账|付款|打款|成交|联系|沟通)|线下(?:交易|转账|付款|打款)|(?:不|别|无需|不用)走(?:平台|担保|中介)"
        r"|绕(?:过|开)(?:平台|担保)|(?:微信|支付宝|银行卡|v信)(?:直接)?(?:转账|付款|打款)|直接(?:转账|打款)给我|转账给我",
    ),
    (
        "off_platform",
        0.85,
        r"(?:pay|send|wire|transfer)\s+(?:me|the money|it|payment)\s+(?:directly|outside|off[- ]platform|via|by|through|on|with)\s*"
        r"(?:the platform|escrow|paypal|zelle|venmo|cash\s?app|crypto|usdt|bitcoin|btc|wise|western union|bank transfer|alipay|wechat pay)?"
        r"|(?:skip|avoid|bypass|go around|outside|without)\s+(?:the\s+)?(?:escrow|platform|site)(?:'s)?(?:\s+fees?)?"
        r"|(?:friends\s+(?:and|&)\s+family)\s+(?:payment|paypal)|off[- ]platform\s+(?:deal|payment|trade|sale)",
    ),
]

_BAIT = [
    (
        "bait",
        0.85,
        r"求(?:点赞|关注|转发|收藏|三连|互粉|互关|评论|好评|赞)|一键三连|(?<!相)互(?:粉|关(?!系)|赞|推|刷)"
        r"|(?:点赞|关注|转发|收藏|评论)\s?[+＋、和加与&/]?\s?(?:点赞|关注|转发|收藏|评论)(?!比|率|数|量|都|均|总|平均|情况|数据|互动|占比)"
        r"|(?:点赞|关注|转发|收藏|评论|私信)(?:后|即可|就送|并|送|领|抽|有礼|有奖|返)(?!数|量|率|比)"
        r"|点个赞|点点赞|给个赞|点赞支持|关注一下|关注走一波|双击(?:屏幕|666|支持|关注)|评论区(?:扣|打)\s?\d|扣\s?1领"
        r"|好评返现|晒图返现|五星好评返|好评(?:送|有礼|返)|给(?:个)?五星好评",
    ),
    (
        "bait",
        0.85,
        r"\blike\s*(?:and|&|\+)\s*(?:subscribe|follow|share|comment)\b|\b(?:follow|like|sub|share)\s?(?:4|for)\s?(?:follow|like|sub|share)\b"
        r"|\b(?:f4f|l4l|s4s|sub4sub|followback|follow\s+back)\b|\bsmash\s+(?:that|the)\s+(?:like|follow|subscribe)"
        r"|\b(?:follow|like|share|subscribe|comment|repost|retweet)(?:\s+(?:me|us|this(?:\s+post)?|and\s+\w+))?\s+(?:to|and)\s+(?:win|get\s+a|receive|claim|enter)\b"
        r"|\btag\s+(?:\d+|three|two|a|your)\s+friends?\b|\bdouble\s+tap\s+(?:if|to)\b"
        r"|\b(?:5|five)[- ]stars?(?:\s+review)?\s+(?:for|and\s+get)\s+(?:a\s+)?(?:refund|cashback|cash\s+back|discount|gift)"
        r"|\bcash\s?back\s+for\s+(?:a\s+)?(?:positive|good|5[- ]star|five[- ]star)\s+reviews?",
    ),
]

_CLAIMS = [
    (
        "claim",
        0.85,
        r"(?:保证|包|确保|承诺|绝对)(?:永久|永远)?(?:不|永不|绝不)(?:封号|封|掉粉|限流|降权|违规)|永不封号|永久不封|不会被封|不可能被封|防封号?"
        r"|(?:100%|百分百|百分之百|绝对|完全)安全|(?<![低高])(?:零|0|无)风险(?!提示|评估|等级)|稳赚(?:不赔)?|躺赚|包赚|保赚|必赚|包回本|保本收益|保底收益|保证收益"
        r"|日入(?:过)?[\d千万]|月入(?:过)?[\d万]|日赚[\d千万]|轻松月入|包涨粉|保证涨粉|包上热门|保证上热门|包过审|包火|必火|全网第一|全网最低|史上最低",
    ),
    (
        "claim",
        0.85,
        r"\bguarantee(?:d|s)?\s+(?:\w+\s+){0,2}(?:income|earnings|profits?|revenue|returns?|followers|growth|views|monetis\w+|monetiz\w+|approval|sales|virality|to\s+(?:earn|make|grow|go\s+viral))\b"
        r"|\b(?:will\s+never|won'?t\s+ever|won'?t|can\s*not|can'?t|guaranteed\s+(?:not|never)\s+to|never\s+gets?)\s+(?:ever\s+)?(?:be\s+|get\s+)?(?:banned|suspended|shadow\s?banned|flagged|removed)\b"
        r"|\bban[- ]?(?:proof|free)\b|\b100%\s+(?:safe|legit|secure|guaranteed)\b|\brisk[- ]free\b|\bzero\s+risk\b|\bno\s+risk\s+at\s+all\b"
        r"|\bget\s+rich\s+quick\b|\beasy\s+money\b|\bmake\s+\$?\d[\d,]*k?\s+(?:a|per|every)\s+day\b",
    ),
]


def _compile(rule_code: str, patterns: list[tuple[str, float, str]]):
    """One regex per rule (alternatives as named groups), so findings of different
    rules may overlap ("加我微信转账" is both a contact and an off-platform deal)."""
    parts = []
    meta: dict[str, tuple[str, float]] = {}
    for n, (kind, confidence, pattern) in enumerate(patterns):
        meta[f"g{n}"] = (kind, confidence)
        parts.append(f"(?P<g{n}>{pattern})")
    return rule_code, re.compile("|".join(parts), re.IGNORECASE), meta


_NORM_SCANNERS = [
    _compile(CONTACT, _CONTACT_NORM),
    _compile(OFF_PLATFORM_DEAL, _DEAL),
    _compile(ENGAGEMENT_BAIT, _BAIT),
    _compile(PROHIBITED_CLAIM, _CLAIMS),
]
_DIGIT_SCANNERS = [_compile(CONTACT, _CONTACT_DIGITS)]

CONTACT_KINDS = frozenset({"email", "link", "wechat", "telegram", "messenger", "phone", "qq"})


def _raw_findings(text: str):
    for table, scanners in ((_NORM, _NORM_SCANNERS), (_DIGITS, _DIGIT_SCANNERS)):
        normalised = text.translate(table)
        for rule_code, regex, meta in scanners:
            for match in regex.finditer(normalised):
                kind, confidence = meta[match.lastgroup]
                yield rule_code, kind, confidence, match.start(), match.end()


def scan_text(text: str | None) -> list[Finding]:
    """Findings in ``text``, ordered by position; overlapping findings of the same
    rule are merged (the wider span, the higher confidence). Spans index ``text``."""
    if not text:
        return []
    raw = sorted(_raw_findings(text), key=lambda r: (r[3], -r[4]))
    merged: list[list] = []
    for rule_code, kind, confidence, start, end in raw:
        # strip whitespace/punctuation captured at the edges
        while end > start and text[end - 1] in " \t\r\n.,;:!?，。：；！？-":
            end -= 1
        if end <= start:
            continue
        for item in reversed(merged):
            if item[0] == rule_code and start < item[4] and end > item[3]:
                item[3] = min(item[3], start)
                item[4] = max(item[4], end)
                if confidence > item[2]:
                    item[1], item[2] = kind, confidence
                break
        else:
            merged.append([rule_code, kind, confidence, start, end])
    return [
        Finding(
            rule_code=rule_code,
            span=(start, end),
            excerpt=text[start:end],
            confidence=confidence,
            kind=kind,
        )
        for rule_code, kind, confidence, start, end in sorted(merged, key=lambda m: m[3])
    ]


def mask_contact_details(text: str | None, replacement: str = "[***]") -> str:
    """``text`` with every off-platform contact detail replaced by ``replacement``
    (for deal messages, before the other party sees them)."""
    if not text:
        return text or ""
    spans = sorted(f.span for f in scan_text(text) if f.kind in CONTACT_KINDS)
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, cursor = [], 0
    for start, end in merged:
        out.append(text[cursor:start])
        out.append(replacement)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)
