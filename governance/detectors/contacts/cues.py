"""Candidates of the sort *a channel and an identifier*: a cue naming a channel
(WeChat and its homophones, QQ, Telegram, WhatsApp, Line, Skype, Discord, a
phone word, another platform's handle, a mailbox label …) followed, across label
words only, by a handle or a number; each judged by its cue's guards."""

from __future__ import annotations

import re

from ..context import Gate, keys_in
from ..context import gate as _gate
from .guards import (
    _B,
    _COUNT_AFTER,
    _DATE,
    _E,
    _HANDLE,
    _MASKED,
    _NUMBER,
    _ORDER_CUE,
    _STOP,
    _WORD_CHARS,
    _digit_count,
    _order_like,
    _version_like,
)

_SPACER = r"[ .\-_*]"


def _spaced(word: str) -> str:
    """``w.e.c.h.a.t``, ``t e l e g r a m``: a name with a separator after each letter."""
    return _SPACER.join(word)


_WECHAT = (
    r"微信|微[ _.*\-]{0,2}讯|[薇徽嶶维威][ _.*\-]{0,2}(?:信|芯|心|亻言|❤|♥|❤️|xin)|[薇徽嶶][ _.*\-]{0,2}x(?![a-z])"
    r"|微[ _.*\-]{1,2}信|微[ _.*\-]{0,2}(?:芯|心(?!愿|博)|亻言|❤|♥|xin|x(?![a-z]))"
    r"|v[ _.*\-]{0,2}(?:信|芯|心|❤|♥)|wei[ _]?(?:xin|信)"
    rf"|{_B}(?:v[ .]?x|w[ .]?x|w[e3][ ]?ch[a4@]t|v[ ]?ch[a4@]t|w[e3][i1]x[i1]n|wei[ _]?xin|{_spaced('wechat')}|{_spaced('weixin')}){_E}"
    # slang for the green app: "绿色软件上聊"
    r"|绿泡泡|卫星号|绿色(?:的)?(?:那个|的那个)?(?:软件|app|聊天软件)|小绿(?:软件|app)|企业微信|企微"
)
_QQ = rf"扣[ _.*\-]?扣|球球|抠抠|寇寇|叩叩|蔻蔻|口口|企[ _.*\-]?鹅|鹅厂(?:那个|的)?(?:聊天)?(?:软件|app)?|🐧|扣(?![1款分费除钱])|{_B}q[ ]?q{_E}"
_QQ_GROUP = rf"(?:{_B}q{{1,2}}|扣扣|企鹅)?[ ]?群(?:号码?|号)?|裙号"
_LONE_Q = rf"{_B}q(?:号)?(?![a-z_])"
_TELEGRAM = rf"电报|纸飞机|小飞机|飞机号?|✈|{_B}(?:t[e3]l[e3]gr[a4@]m|tele|t[ ]?g|{_spaced('telegram')}){_E}"
_APP_CLEAR = (
    rf"{_B}(?:wh[a@4]ts[ ]?[a@4]pp|{_spaced('whatsapp')}|skype|discord|snapchat|kik|kakao(?:[ ]?talk)?|viber|instagram|insta"
    rf"|facebook|messenger|zalo|icq|imessage|dingtalk){_E}"
    # chat apps named in Chinese, Korean and Japanese: 钉钉, 카톡 (KakaoTalk), ライン
    r"|钉钉|陌陌|飞书|카톡|카카오톡|텔레그램|왓츠앱|위챗|라인|ライン|テレグラム|ワッツアップ"
)
# LINE in Taiwanese slang: "賴的ID是 …" (not 赖皮, 赖账, 依赖)
_LINE_ZH = r"(?<!依)赖(?=的?\s?(?:id|号|帐号|账号|[:：是]))"
# Everyday English words too: an identifier must be labelled ("line: …", "snap me @…").
_APP_AMBIGUOUS = rf"{_B}(?:line|signal|snap|sc|ig|ins|wa|fb|threads){_E}"
_PHONE = (
    r"电话|手机号?码?|号码|联系方式|联系电话|座机|致电|拨打|打这个|短信|来电|同号|[☎☏📞📱📲]|"
    rf"{_B}(?:tel|ph|mob|phone|mobile|cell|call|number|digits|text(?:[ ]?me)?|ring(?:[ ]?me)?|sms|contact|reach\s+me"
    rf"|hit\s+me\s+up){_E}"
)

# Handles on the platforms sold here are contact details too ("抖音号 xxx 私信我")
# Every branch starts with a literal, so re skips ahead to a first character;
# the word boundary before the Latin names is checked after the match (_BOUNDED)
_SOCIAL = (
    r"(?=[抖小红快微bdxrkwty])(?:抖音|小红书|红书|快手|微博|b站|"
    rf"(?:dy|douyin|xhs|xiaohongshu|rednote|kuaishou|weibo|bilibili|tiktok|youtube|twitter){_E})"
)
_MAIL = (
    r"(?=[邮电✉📧📨📩emghoyipf])(?:邮箱|邮件|电邮|✉|📧|📨|📩|"
    rf"(?:e-?mail|mail|gmail|hotmail|outlook|yahoo|icloud|proton(?:mail)?|foxmail){_E})"
)
_BOUNDED = frozenset({"sp", "mail"})
# 薇 / 威 / v right before a handle with a digit: "薇 sanshui666", "V dong_ge_666"
# (not inside a name: "张薇 vivi_88")
_LONE_WX = rf"(?:{_B}v(?=[ _.*\-]{{1,2}}[a-z0-9])|(?<![\u3400-\u9fff])[微薇威徽嶶维](?=[ _.*\-]{{0,2}}[a-z0-9]))"

_ADD = (
    r"(?:加我|联系我|找我|私我)\s?(?=[:：])|(?:(?<![已未没])加|\+|➕|添加|加个|加下|加1下|加我|\+我|加好友|找我|私我)\s?"
    r"(?:v|vx|wx|微|薇|威|徽|q|企鹅|扣扣|飞机|tg|电报)(?![a-z])"
)
_GLUE = (
    r"(?:[ \t:：=\-–—~～→>|/,，(\[【]|id|no\.?|number|num|handle|username|user|name|is|me|at|on|via|my"
    r"|hao(?:ma)?|号码?|是|为|搜[一1]?搜?|叫|私?聊|dm|私信|找|上|找我|联系|的|我|账号|同号"
    # "微博 UID …", "邮箱前缀 …", pinyin "hao shi", Korean "아이디"
    r"|uid|前缀|地址|用户名|shi(?=\s)|아이디|로|는"
    # a number told in parts: "扣扣号拆开：1024 / 8573 / 6"
    r"|拆开|分开|分段|拆成|分成|split|in\s+parts)"
)
# labels strong enough to take a plain word as a handle ("line: osaka", "微信号 abcdef")
_LABELS = re.compile(r"[:：=]|\bid\b|\bis\b|是|号|username|handle|\bname\b")
_LABEL_END = re.compile(r"(?:[:：=]|是|号)\s*$")

# (cue name, cue pattern, gate: space-separated substrings, one of which every
# match of the cue contains; checked first, in C)
_CUE_FAMILIES = [
    ("add", _ADD, "加 + ➕ 找我 私我 联系"),
    (
        "wx",
        _WECHAT,
        "微 薇 徽 嶶 维 威 信 芯 心 ❤ ♥ wei vx v_x v.x wx w_x w.x chat 绿泡泡 卫星 w.e.c w_e_c w-e-c w*e*c w.e.i w_e_i w-e-i "
        "wech w3ch w3i we1 w31 绿色 小绿 企业微信 企微",
    ),
    ("qq", _QQ, "扣 抠 寇 叩 蔻 口口 企 🐧 q 球球 鹅厂"),
    ("v", rf"(?:{_B}v|微|薇)(?=\s?[:=是号])", "v: v_: v= v是 v号 v_是 v_号 微 薇"),
    ("vh", _LONE_WX, "v_ v. v* v- 微 薇 威 徽 嶶 维"),
    (
        "sp",
        _SOCIAL,
        "抖音 小红书 红书 快手 微博 b站 dy douyin xhs xiaohongshu rednote kuaishou weibo bilibili tiktok youtube twitter",
    ),
    ("mail", _MAIL, "邮箱 邮件 电邮 ✉ 📧 📨 📩 mail"),
    ("grp", _QQ_GROUP, "群 裙"),
    ("q", _LONE_Q, "q"),
    ("tg", _TELEGRAM, "电报 飞机 ✈ tg t_g tele t3l tel3 t.e.l t_e_l t-e-l t*e*l"),
    (
        "app",
        _APP_CLEAR,
        "whats wh@ts wh4ts w.h.a w_h_a w-h-a w*h*a skype discord snapchat kik kakao viber insta facebook messenger zalo icq imessage "
        "dingtalk 钉钉 陌陌 飞书 카톡 카카오톡 텔레그램 왓츠앱 위챗 라인 ライン テレグラム ワッツアップ",
    ),
    ("lz", _LINE_ZH, "赖"),
    ("amb", _APP_AMBIGUOUS, "line signal snap sc ig ins wa fb threads"),
    (
        "ph",
        _PHONE,
        "电话 手机 号码 联系 座机 致电 拨打 打这个 短信 来电 同号 ☎ ☏ 📞 📱 📲 tel ph mob phone mobile cell call number "
        "digits text ring sms contact reach hit_me",
    ),
]


class _TwoStage(Gate):
    """A literal gate, then a regex with word boundaries only where it passed
    ("dy" is inside "ready"): a boundary regex alone would scan every message."""

    __slots__ = ("refine",)

    def __init__(self, keys: tuple[str, ...], refine: str):
        super().__init__(_gate(keys).keys)
        self.refine = re.compile(refine)

    def search(self, text: str):
        return super().search(text) and bool(self.refine.search(text))


_GATE_REFINE = {
    "sp": r"抖音|小红书|红书|快手|微博|b站|dy(?![a-z0-9_])|douyin|xhs|xiaohongshu|rednote"
    r"|kuaishou|weibo|bilibili|tiktok|youtube|twitter",
}
# a handle spelled character by character, maybe in two parts:
# "L I N D A 后面加 0 5 2 0", "k e v i n then 8 8"
_SPELLED_ID = (
    r"[a-z0-9](?:(?:\s?[.\-·]\s?|\s)[a-z0-9_]){3,30}"
    r"(?:\s?(?:后面加?|然后|再加?|加上?|接着?|then|followed\s+by|plus)\s?[a-z0-9](?:[ .\-·]?[a-z0-9_]){1,30})?"
)
_CUE_ID = [
    (
        name,
        _TwoStage(keys, _GATE_REFINE[name]) if name in _GATE_REFINE else _gate(keys),
        re.compile(
            rf"(?:{cue})(?P<gap>{_GLUE}{{0,10}})(?P<id>{_HANDLE}|{_NUMBER}|{_SPELLED_ID})(?![a-z0-9_])"
        ),
    )
    for name, cue, keys in [
        (n, c, tuple(k.replace("_", " ") for k in g.split())) for n, c, g in _CUE_FAMILIES
    ]
]
_TRAILING_ID = re.compile(rf"(?P<gap>{_GLUE}{{0,8}})(?P<id>{_HANDLE}|{_NUMBER})(?![a-z0-9_])")
# "…, my username is swiftdeals": a plain word is a handle after a naming label
_NAMING_LABEL = re.compile(r"(?:username|handle|\bid|\bname)\s*(?:is|[:=])\s*$|(?:[:：=]|是)\s*$")
_MIN_DIGITS = {
    "add": 5,
    "wx": 6,
    "v": 6,
    "vh": 6,
    "sp": 6,
    "mail": 5,
    "qq": 5,
    "grp": 5,
    "q": 5,
    "tg": 7,
    "app": 7,
    "amb": 7,
    "lz": 7,
    "ph": 7,
}


# a handle on a platform sold here is a contact detail when the text asks to be
# messaged there ("抖音号 xxx 私信我"); alone it names the account for sale
_DM_NEAR = re.compile(
    r"私信(?:我|发|聊|联系)|私我|找我|联系|私聊|加我|搜我|滴滴我|dd我"
    r"|\b(?:dm|message|msg|contact|reach|text|ping)\s+(?:me|us)\b|\bdm\s+(?:there|here)"
)
_STATUS_AFTER = re.compile(r"\s?(?:在线|online)")


def _number_ok(cue: str, d: str, id_start: int, number: str, end: int) -> bool:
    count = _digit_count(number)
    if count < _MIN_DIGITS[cue]:
        return False
    if _COUNT_AFTER.match(d, end) or _version_like(d, id_start, number):
        return False
    if _MASKED.search(number):
        return False  # "152****8888": a number already masked
    if count <= 6 and _STATUS_AFTER.match(d, end):
        return False  # "QQ群 3000 在线" counts people; "Q 56781234 在线" is a number
    if _DATE.fullmatch(number.strip()):
        return False
    if _order_like(d, id_start) or _ORDER_CUE.search(d, max(0, id_start - 24), id_start):
        return False
    if cue == "q":  # "Q3 2024": a lone q needs a number that starts like one
        first = re.match(r"\d+", number)
        if first and len(first.group()) < 3 and len(number) > len(first.group()):
            return False
    return True


def _handle_ok(cue: str, gap: str, handle: str) -> bool:
    if cue in ("qq", "grp", "q", "ph"):
        return False
    bare = handle.lstrip("@")
    labelled = bool(_LABELS.search(gap)) or handle.startswith("@")
    bare = bare.strip()
    if bare in _STOP:
        return False
    if cue == "amb" and not labelled:
        return False
    if cue == "v":  # "V: abc_123" but not "Season V: The Return"
        return bool(re.search(r"[0-9_]", bare))
    if cue == "vh":  # "薇 sanshui666": only separators between, a digit or _ inside
        return len(bare) >= 5 and bool(re.search(r"[0-9_]", bare))
    if re.search(r"[0-9_]", bare) or handle.startswith("@"):
        return True
    if re.search(r"[.\-]", bare):
        # "jess.sells" after a label; "Telegram mini-apps" is prose
        return labelled
    if cue in ("sp", "mail"):  # "抖音号 meizhuang" may name the account sold; needs a digit or _
        return False
    # a plain word only right after "…:" / "…是" ("Instagram handle will be …" is prose)
    return bool(_LABEL_END.search(gap)) and len(bare) >= 4


def find_cue_ids(folded: str, digits: str):
    """Yield ``(kind, confidence, start, end)`` for a channel cue and its identifier."""
    present = keys_in(folded)
    for cue, gate, regex in _CUE_ID:
        if present.isdisjoint(gate.keys) or (gate.refine and not gate.refine.search(folded)):
            continue
        for m in regex.finditer(digits):
            ident = m.group("id")
            id_start = m.start("id")
            if cue == "vh" and m.group("gap").strip(" _.*-"):
                continue  # a lone 薇 / v takes no label words
            if cue in _BOUNDED and m.start() and digits[m.start() - 1] in _WORD_CHARS:
                continue  # "gmail" inside "xgmail", "dy" inside "today"
            if cue == "sp" and not _DM_NEAR.search(folded, max(0, m.start() - 30), m.end() + 30):
                continue
            if ident.lstrip("+")[:1].isdigit():
                if not _number_ok(cue, digits, id_start, ident, m.end()):
                    continue
                kind = (
                    "qq" if cue in ("qq", "grp", "q") else ("phone" if cue == "ph" else "messenger")
                )
            else:
                if not _handle_ok(cue, m.group("gap"), ident):
                    continue
                kind = "telegram" if cue == "tg" else "messenger"
            if cue in ("wx", "add", "v", "vh"):
                kind = "wechat"
            elif cue == "mail":
                kind = "email"
            yield kind, 0.95, m.start(), m.end()
