"""What clears a number or a handle: counts, dates, order and version numbers,
masked numbers, placeholder words; and the regex fragments every candidate
family shares (separators, handles, numbers)."""

from __future__ import annotations

import re

_B = r"(?<![a-z0-9_])"
_E = r"(?![a-z0-9_])"
# what people put between digits (symbols and emoji are spaces by now; a
# line break splits a number over lines)
_SEP = r"[ \t\r\n\-_.·•*/|~—–()\[\]]{0,4}"
_D = _SEP + r"\d"

_HANDLE = r"(?:@\s?)?[a-z][a-z0-9_.\-]{1,30}[a-z0-9_]"
_NUMBER = r"\+?\d(?:" + _SEP + r"\d){3,16}"

_COUNT_AFTER = re.compile(
    # "w" (万), "k", "m" are units only as a word's end: "456 whatsapp" is a number
    r"\s?(?:[万千百亿人粉个次条元块位岁级天年月日多余+%]|[wkm](?![a-z])|followers?|fans|members?|subs|subscribers?"
    r"|views?|likes?|friends|订阅|播放|点赞|赞|粉丝|关注|楼|版本?|version)"
)
_MASKED = re.compile(r"\*\s?\*")
_DATE = re.compile(r"(?:19|20)\d\d[\-./]?[01]?\d[\-./]?[0-3]?\d")
# a day-first date inside a run of digits: "01.02.2025 12:00"
_DATE_INSIDE = re.compile(r"(?<!\d)[0-3]?\d[\-./][01]?\d[\-./](?:19|20)\d\d")
_ORDER_BEFORE = re.compile(
    r"(?:订单|单号|编号|流水|运单|快递|工单|发票|序列号|货号|order|invoice|ticket|tracking|item|sku|ref|case|no\.?|nr\.?|#)"
    r"\s*(?:号码?|number|no\.?|id)?\s*[:：#]?\s*$"
)
_ORDER_CUE = re.compile(
    r"(?:订单|单号|编号|运单|快递|工单|发票|order|invoice|ticket|tracking|sku)\s*(?:号|number|no\.?|id|#)"
)
_VERSION_BEFORE = re.compile(
    r"(?:\bv|version|ver\.?|build|版本|固件|firmware|ios|android|python|系统|升级|更新)\s*(?:号|:|：)?\s*$"
)
_STOP = frozenset(
    "none null nil hidden private removed unknown tbd later yes linked included verified available n/a "
    "everyone here all channel "
    "account official channel group server business shop store pay payment wallet moments mini program "
    "video story streak streaks friends followers members subscribers views web app desktop version ads "
    "me us here there now only please and or the a an for to with of in not no chat call id number handle "
    "username name message messages group groups page pages chart era up out it this that then".split()
)
_PLATFORM_DOMAINS = frozenset(
    "tiktok.com douyin.com youtube.com instagram.com facebook.com twitter.com x.com weibo.com "
    "xiaohongshu.com bilibili.com kuaishou.com taobao.com amazon.com etsy.com shopify.com "
    "twitch.tv linkedin.com pinterest.com reddit.com".split()
)
_DISCORD_NOT = re.compile(r"(?:order|invoice|ticket|issue|pr|case|item|no|sku|ref|room|page|订单)#")

_ANY_DIGIT = re.compile(r"\d")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def _digit_count(s: str) -> int:
    return sum(ch.isdigit() for ch in s)


def _version_like(d: str, start: int, number: str) -> bool:
    """Dotted groups (``1.3.8.0013.8000``) or a version word right before."""
    if number.count(".") >= 3 or (
        number.count(".") >= 2 and len(number.split(".")[0].strip()) <= 2
    ):
        return True
    return bool(_VERSION_BEFORE.search(d, max(0, start - 12), start))


def _order_like(d: str, start: int) -> bool:
    return bool(_ORDER_BEFORE.search(d, max(0, start - 14), start))


def digit_count(digits: str) -> int:
    return len(_ANY_DIGIT.findall(digits))
