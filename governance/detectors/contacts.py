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
"""

from __future__ import annotations

import itertools
import re

from .context import gate as _gate
from .context import negated

_B = r"(?<![a-z0-9_])"
_E = r"(?![a-z0-9_])"
# what people put between digits (symbols and emoji are spaces by now; a
# line break splits a number over lines)
_SEP = r"[ \t\r\n\-_.·•*/|~—–()\[\]]{0,4}"
_D = _SEP + r"\d"

# ---------------------------------------------------------------- channel cues

_SPACER = r"[ .\-_*]"


def _spaced(word: str) -> str:
    """``w.e.c.h.a.t``, ``t e l e g r a m``: a name with a separator after each letter."""
    return _SPACER.join(word)


_WECHAT = (
    r"微信|微[ _.*\-]{0,2}讯|[薇徽嶶维威][ _.*\-]{0,2}(?:信|芯|心|亻言|❤|♥|❤️|xin)|[薇徽嶶][ _.*\-]{0,2}x(?![a-z])"
    r"|微[ _.*\-]{1,2}信|微[ _.*\-]{0,2}(?:芯|心(?!愿|博)|亻言|❤|♥|xin|x(?![a-z]))"
    r"|v[ _.*\-]{0,2}(?:信|芯|心|❤|♥)|wei[ _]?(?:xin|信)"
    rf"|{_B}(?:v[ .]?x|w[ .]?x|w[e3][ ]?ch[a4@]t|w[e3][i1]x[i1]n|wei[ _]?xin|{_spaced('wechat')}|{_spaced('weixin')}){_E}"
    r"|绿泡泡|卫星号"
)
_QQ = rf"扣[ _.*\-]?扣|球球|抠抠|寇寇|叩叩|蔻蔻|口口|企[ _.*\-]?鹅|🐧|扣(?![1款分费除钱])|{_B}q[ ]?q{_E}"
_QQ_GROUP = rf"(?:{_B}q{{1,2}}|扣扣|企鹅)?[ ]?群(?:号码?|号)?|裙号"
_LONE_Q = rf"{_B}q(?:号)?(?![a-z_])"
_TELEGRAM = rf"电报|纸飞机|小飞机|飞机号?|✈|{_B}(?:t[e3]l[e3]gr[a4@]m|tele|t[ ]?g|{_spaced('telegram')}){_E}"
_APP_CLEAR = (
    rf"{_B}(?:wh[a@4]ts[ ]?[a@4]pp|{_spaced('whatsapp')}|skype|discord|snapchat|kik|kakao(?:[ ]?talk)?|viber|instagram|insta"
    rf"|facebook|messenger|zalo|icq|imessage){_E}"
)
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
    r"|hao(?:ma)?|号码?|是|为|搜[一1]?搜?|叫|私?聊|dm|私信|找|上|找我|联系|的|我|账号|同号)"
)
# labels strong enough to take a plain word as a handle ("line: osaka", "微信号 abcdef")
_LABELS = re.compile(r"[:：=]|\bid\b|\bis\b|是|号|username|handle|\bname\b")
_LABEL_END = re.compile(r"(?:[:：=]|是|号)\s*$")
_HANDLE = r"(?:@\s?)?[a-z][a-z0-9_.\-]{1,30}[a-z0-9_]"
_NUMBER = r"\+?\d(?:" + _SEP + r"\d){3,16}"

# (cue name, cue pattern, gate: space-separated substrings, one of which every
# match of the cue contains; checked first, in C)
_CUE_FAMILIES = [
    ("add", _ADD, "加 + ➕ 找我 私我 联系"),
    (
        "wx",
        _WECHAT,
        "微 薇 徽 嶶 维 威 信 芯 心 ❤ ♥ wei vx v_x v.x wx w_x w.x chat 绿泡泡 卫星 w.e.c w_e_c w-e-c w*e*c w.e.i w_e_i w-e-i "
        "wech w3ch w3i we1 w31",
    ),
    ("qq", _QQ, "扣 抠 寇 叩 蔻 口口 企 🐧 q 球球"),
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
        "whats wh@ts wh4ts w.h.a w_h_a w-h-a w*h*a skype discord snapchat kik kakao viber insta facebook messenger zalo icq imessage",
    ),
    ("amb", _APP_AMBIGUOUS, "line signal snap sc ig ins wa fb threads"),
    (
        "ph",
        _PHONE,
        "电话 手机 号码 联系 座机 致电 拨打 打这个 短信 来电 同号 ☎ ☏ 📞 📱 📲 tel ph mob phone mobile cell call number "
        "digits text ring sms contact reach hit_me",
    ),
]


class _TwoStage:
    """A literal gate, then a regex with word boundaries only where it passed
    ("dy" is inside "ready"): a boundary regex alone would scan every message."""

    def __init__(self, keys: tuple[str, ...], refine: str):
        self.literal, self.refine = _gate(keys), re.compile(refine)

    def search(self, text: str):
        return self.literal.search(text) and self.refine.search(text)


_GATE_REFINE = {
    "sp": r"抖音|小红书|红书|快手|微博|b站|dy(?![a-z0-9_])|douyin|xhs|xiaohongshu|rednote"
    r"|kuaishou|weibo|bilibili|tiktok|youtube|twitter",
}
_CUE_ID = [
    (
        name,
        _TwoStage(keys, _GATE_REFINE[name]) if name in _GATE_REFINE else _gate(keys),
        re.compile(rf"(?:{cue})(?P<gap>{_GLUE}{{0,10}})(?P<id>{_HANDLE}|{_NUMBER})(?![a-z0-9_])"),
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
    "ph": 7,
}

# ----------------------------------------------------------- self-evident shapes

# Each shape has its own regex and a cheap gate (substrings its match must
# contain), so a message runs only the regexes it could match.
_EMAIL = re.compile(
    r"(?<![\w.%+-])[a-z0-9._%+-]{2,64}+\s?@\s?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,10}" + _E
)
_DOT = r"(?:\.|点|\(dot\)|\[dot\]|\{dot\}|\sdot\s)"
_EMAIL_DISGUISED = re.compile(
    rf"(?<![\w.])[a-z0-9_%+-]{{1,64}}+(?:\s?{_DOT}\s?[a-z0-9_%+-]{{1,32}}+){{0,6}}"
    r"\s?(?:\(at\)|\[at\]|\{at\}|\sat\s|#|艾特|圈a|\(@\)|@)\s?[a-z0-9-]{2,}"
    rf"(?:\s?{_DOT}\s?[a-z0-9-]{{2,}}){{0,2}}?\s?{_DOT}\s?(?:com|cn|net|org|io|me|co|uk|de|fr|jp|ru|edu)"
    + _E
)
# "tony dot flips at gmail": a mail provider names the domain without its TLD;
# the local part must look like an address (a dot, a digit or _)
_EMAIL_PROVIDER = re.compile(
    rf"(?<![\w.])(?=[a-z0-9%+\-]*[._\d]|[a-z0-9_%+\-]+\s?{_DOT})[a-z0-9_%+-]{{2,64}}+"
    rf"(?:\s?{_DOT}\s?[a-z0-9_%+-]{{1,32}}+){{0,6}}"
    r"\s?(?:\(at\)|\[at\]|\{at\}|\sat\s|艾特|圈a|@)\s?"
    r"(?:gmail|hotmail|outlook|yahoo|icloud|proton(?:mail)?|foxmail|yandex)(?![a-z0-9])"
)
_TLDS = (
    r"(?:com|cn|net|org|io|me|ly|co|cc|top|xyz|info|app|link|gg|tv|uk|hk|tw|sg|ru|biz|site|online"
    r"|shop|vip|club|store|live|page|ee|de|fr|jp|kr|ai|gl|bio|nz|au|ca|es|nl|pl|vn|th|ph)(?![a-z0-9\-])"
)
_TLD_GATE = re.compile(r"\." + _TLDS)
_LINK = re.compile(
    r"(?:https?://|www\.)[^\s，。！？、）)\]】>\"'<]+"
    r"|(?<![@\w.\-])(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+"
    + _TLDS
    + r"(?:/[^\s，。！？、）)\]】>\"'<]*)?"
)
# "www dot fastflip dot net", "maihao 点 top": labels with a letter, joined by a
# spelled-out dot, ending in a known TLD
_LINK_DISGUISED = re.compile(
    r"(?<![\w.])(?:(?=[a-z0-9\-]*[a-z])[a-z0-9\-]{2,}\s?(?:\.|点|\(dot\)|\[dot\]|\{dot\}|\sdot\s)\s?)*"
    r"(?=[a-z0-9\-]*[a-z])(?P<label>[a-z0-9\-]{2,})\s?(?:点|\(dot\)|\[dot\]|\{dot\}|\sdot\s)\s?"
    + _TLDS
)
_WXID = re.compile(r"wxid_[a-z0-9_\-]{3,}")
_SKYPE = re.compile(r"live:[.a-z0-9_\-]{3,}")
_DISCORD = re.compile(r"(?<![\w#])[a-z][a-z0-9_.]{1,31}#\d{4}(?!\d)")
_AT = re.compile(r"(?<![\w.@])@[a-z0-9_][a-z0-9_.]{1,29}[a-z0-9_]")
_SELF = [
    # (regex, gate: substrings one of which its match contains, kind, confidence)
    (regex, _gate(keys if isinstance(keys, tuple) else tuple(keys.split())), kind, confidence)
    for regex, keys, kind, confidence in [
        (_EMAIL, "@", "email", 0.97),
        # "at" only between spaces: "what", "that" and "chat" open no gate
        (
            _EMAIL_DISGUISED,
            (
                "(at)",
                "[at]",
                "{at}",
                " at ",
                "\nat",
                "at\n",
                "\tat",
                "at\t",
                "#",
                "艾特",
                "圈a",
                "@",
            ),
            "email",
            0.9,
        ),
        (
            _EMAIL_PROVIDER,
            "gmail hotmail outlook yahoo icloud proton foxmail yandex",
            "email",
            0.85,
        ),
        (_LINK, "http www.", "link", 0.93),
        (_LINK_DISGUISED, "点 dot", "link", 0.85),
        (_WXID, "wxid_", "wechat", 0.97),
        (_SKYPE, "live:", "messenger", 0.95),
        (_DISCORD, "#", "messenger", 0.9),
        (_AT, "@", "handle", 0.8),
    ]
]

# The lookahead first: one cheap test per position instead of five branches
# with their lookbehinds (the regex runs on every text with seven digits)
_PHONES = re.compile(
    r"(?=[\d+(])(?:"
    + "|".join(
        [
            # Chinese mobile numbers, also "+86", spaced, in full-width or Chinese numerals
            rf"(?P<cn>(?<![\d+#.])(?<!\d[ \-])(?:(?:\+|00)?86{_SEP})?1{_SEP}[3-9](?:{_D}){{9}}(?!\d))",
            # international numbers with a leading + or 00
            rf"(?P<intl>(?<![\w+#.])(?:\+|00){_SEP}?[1-9]\d{{0,2}}(?:{_D}){{6,13}}(?!\d))",
            # landlines: "010-12345678", "(0755) 8888 6666"
            r"(?P<land>(?<![\d.])(?<!\d[ \-])(?:\(0\d{2,3}\)\s?|0\d{2,3}[\-\s])\d{3,4}[\-\s]?\d{4}(?!\d)(?![ \-]\d))",
            # North American: "(415) 555-0132", "415.555.0132", "917 555 0142"
            r"(?P<na>(?<![\d\-.,#])(?<!\d[ \-])(?:\(\d{3}\)\s?|\d{3}[\-.\s])\d{3}[\-.\s]\d{4}(?![\d\-,])(?![ \-]\d))",
            # UK and similar trunk-prefixed mobiles: "07700 900 461"
            r"(?P<uk>(?<![\d.,#])(?<!\d[ \-])0[1-9]\d{3}\s\d{3}\s?\d{3}(?!\d)(?![ \-]\d))",
        ]
    )
    + ")"
)

# ------------------------------------------------------ invitations without an id

_ADD_VERB = r"(?:(?<![已未没])加|\+|➕|添加|加个|加下|加一下|加\s?我|\+\s?我|加好友|找我|私我|走)"
_ADD_TARGET = (
    r"(?:微信|薇信|威信|徽信|v信|微(?![博软商店视])|薇|威(?!望|力|胁|信度)|v(?![ ]?(?:认证|标|用户|博主|号主|账号|会员|\d))"
    r"|vx|wx|扣扣|企鹅|q ?q|q(?![a-z0-9])|电报|飞机|tg|whatsapp|line|绿泡泡|赖(?!皮|账|着|在|我|你|他|她))"
)
_APPS_EN = (
    rf"{_B}(?:t[e3]l[e3]gr[a4@]m|wh[a@4]ts\s?[a@4]pp|douyin|xiaohongshu|rednote|tiktok|weibo|line|signal|skype|discord|kakao(?:talk)?|viber|snapchat|snap|instagram|insta"
    rf"|ig|facebook|messenger|w[e3]ch[a4@]t|w[e3][i1]x[i1]n|tg|wa|kik|qq){_E}"
)
# the first characters any branch can start with, tested before the branches
# (a Chinese text then tries them at a few positions only)
_INVITE_FIRST = "加+➕添找私走薇徽嶶微绿卫扣企电飞上去转换acdfghklmopqrstvw"
_INVITE = re.compile(
    rf"(?=[{_INVITE_FIRST}])"
    rf"(?:(?P<addzh>{_ADD_VERB}\s?{_ADD_TARGET})"
    rf"|(?P<alone>[薇徽嶶][ _.*\-]{{0,2}}(?:信|芯|亻言|❤|♥)|微[ _.*\-]{{1,2}}信|微(?:❤|♥|芯|亻言)"
    rf"|v[ _.*\-]{{0,2}}(?:信|❤|♥)|绿泡泡|卫星号|{_B}(?:vx|wx){_E}"
    r"|(?:微信|vx|wx|v信|qq|扣扣)\s?(?:同号|同手机|同电话|同步))"
    r"|(?P<chat>(?:微信|vx|wx|v信|qq|扣扣|企鹅|电报|飞机|tg|whatsapp|telegram|line|绿泡泡)\s?上?\s?"
    r"(?:聊(?!天)|说|谈|沟通|详谈|细聊|私聊|联系(?!人|方式)|找我|私我)"
    r"|(?<![a-z])(?:上|去|转|换)\s?(?:微信|vx|qq|扣扣|企鹅|电报|纸飞机|小飞机|tg|whatsapp|telegram|line|绿泡泡)"
    r"(?![号群公支小视钱红电a-z]))"
    r"|(?P<en>\badd\s+my\s+"
    + _APPS_EN
    + r"|(?:add|contact|message|msg|text|dm|pm|reach|find|ping|hit|call|chat\s+with|talk\s+to|write\s+to)"
    r"\s+(?:me|us)\s+(?:up\s+)?(?:on|at|via|through|in|over)\s+(?:my\s+)?"
    + _APPS_EN
    + r"|(?:move|switch|continue|talk|chat|go|take\s+(?:this|it))\s+(?:this\s+)?(?:to|on|over\s+to)\s+"
    + _APPS_EN
    + r"|(?:my|our)\s+"
    + _APPS_EN
    + r"\s+(?:is|number|id|handle)\b"
    + rf"|{_B}(?:wh[a@4]ts\s?[a@4]pp|t[e3]l[e3]gr[a4@]m|w[e3]ch[a4@]t|skype|viber|kik|snapchat|kakao|discord)\s+(?:me|us)\b"
    + r"|\bhmu\s+(?:on|at|via)\s+"
    + _APPS_EN
    + ")"
    + ")"
)
_INVITE_GATE = _gate(
    tuple(
        "hmu 同 加 + ➕ 找我 私我 走 薇 徽 嶶 微 信 ❤ ♥ 绿泡泡 卫星 扣 电报 飞机 上 去 到 转 换 vx wx telegram whats "
        "wh@ts wh4ts line signal skype discord kakao viber snap insta ig facebook messenger wechat weixin tg wa kik qq "
        "企鹅 douyin xiaohongshu rednote tiktok weibo wech w3ch t3l tel3 w3i we1".split()
    )
)
# Pointers to a contact detail elsewhere: rarer, so in a regex of their own
# with its own gate (one big alternation costs every message a pass)
_POINTER_FIRST = "去来上到抖小红快微扫识看在见点主简个签头资背电手号联二v扣飞bcdeilmnoqstwx"
_POINTER = re.compile(
    rf"(?=[{_POINTER_FIRST}])(?:"
    # another platform's DMs: "去小红书找我", "抖音搜“小鹿”私信我"
    r"(?P<social>(?:去|来|上|到)\s?(?:抖音|小红书|红书|快手|微博|b站|ins|instagram|tiktok)[^，。！？!?\n]{0,8}?"
    r"(?:找我|私信我|私我|联系我|加我|dd我|滴滴我|搜我)"
    r"|(?:抖音|小红书|红书|快手|微博)\s?(?:上|里)?\s?搜[^，。！？!?\n]{1,14}?(?:私信我?|私我|找我|联系我?|加我))"
    # a QR code to add someone: "扫我头像的二维码加好友", "scan the QR … to add me"
    r"|(?P<qr>扫[^。！？!?\n]{0,12}?(?:加(?:我|好友|群|v|微|薇|q|企鹅|绿)|(?:就能|即可|可以|就可以|才能)加(?![入速油热密工班价钱钟强快])|进群|入群|好友|联系我|私聊)"
    r"|识别[^。！？!?\n]{0,8}?二维码[^。！？!?\n]{0,6}?(?:加|进群|入群|好友|联系)"
    r"|\bscan\b[^.!?\n]{0,40}?\b(?:qr|code)\b[^.!?\n]{0,40}?\b(?:add|connect|chat|join|message|contact|reach|friend)"
    r"|\bscan\s+(?:it|this|that|the\s+code|my\s+code)\s+(?:with|in|on|using)\s+"
    + _APPS_EN
    # "scan this with WeChat to log in" is the handover itself
    + r"(?![^.!?\n]{0,24}\b(?:log\s?in|sign\s?in))"
    + r"|\b(?:my|our)\s+"
    + _APPS_EN
    + r"\s+qr"
    + r"|\bqr\s*(?:code\s+)?(?:for|of|to)\s+(?:add\s+)?(?:my|our)\s+"
    + _APPS_EN
    + ")"
    # the details are elsewhere: "看我简介里的联系方式", "number in my bio"
    r"|(?P<bio>(?:看|在|见|点开?)\s?(?:我的?)?(?:主页|简介|个签|签名|头像|资料|背景图?)[里中上]?(?:的|有)?"
    r"(?:联系方式|联系|微信|vx|v信|二维码|电话|号码|qq)"
    r"|(?:主页|简介|个签|签名|头像|背景图?)(?:里|中|上)?(?:有|留了?|挂了?)(?:我的?)?(?:联系方式|微信|vx|v信|二维码|电话|号码|qq)"
    # "电话写在图片上了", "微信见第三张": the detail is in a picture
    r"|(?:电话|手机号|微信号?|vx|v信|qq|联系方式|号码)[^，。,.!?！？\n]{0,3}?"
    r"(?:(?:写在|放在|发在|贴在|留在|见)(?:图|图片|截图|第.张|头像|主页|简介|视频)|在(?:图片?|截图|第.张)(?:里|上|中))"
    # "抖音同名", "微信同名": the same name as here
    r"|(?:抖音|小红书|红书|快手|微博|b站|微信|vx|wx|v信|qq|扣扣|电报|飞机|tg|ins|whatsapp|line)\s?同(?:名|id)"
    r"(?!的?(?:公众号|视频号|小店|店铺|频道|群|小程序|账号))"
    r"|\b(?:number|contact(?:\s+(?:info|details))?|e-?mail|whatsapp|wechat|telegram|line|details|socials)"
    r"\s+(?:is\s+|are\s+)?(?:in|on)\s+my\s+(?:bio|profile))" + ")"
)
_POINTER_GATE = _gate(
    tuple(
        "抖音 红书 快手 微博 扫 识别 scan qr 主页 简介 个签 签名 头像 资料 背景 bio profile 同名 同id 写在 放在 "
        "见第 看第 在第 图 视频".split()
    )
)
# a platform named as a topic right after the cue: "微信公众号", "+ 微信小店"
_TOPIC_AFTER = re.compile(
    r"\s?(?:公众号|视频号|小店|小程序|群(?!号)|空间|支付|钱包|红包|运动|认证|读书|指数|生态|音乐|会员|等级|官方|频道|商城|店铺"
    r"|表情|壁纸|主题|皮肤|教程|科普|攻略|运营|营销|推广"
    r"|official|channel|group|server|business|shop|store|pay|account|story|streak)"
)

# ------------------------------------------------------------------- the guards

_COUNT_AFTER = re.compile(
    r"\s?(?:[万千百亿人粉个次条元块位岁级天年月日多余+%w]|k\b|m\b|followers?|fans|members?|subs|subscribers?"
    r"|views?|likes?|friends|订阅|播放|点赞|赞|粉丝|关注|楼|版本?|version)"
)
_MASKED = re.compile(r"\*\s?\*")
# a handle on a platform sold here is a contact detail when the text asks to be
# messaged there ("抖音号 xxx 私信我"); alone it names the account for sale
_DM_NEAR = re.compile(
    r"私信(?:我|发|聊|联系)|私我|找我|联系|私聊|加我|搜我|滴滴我|dd我"
    r"|\b(?:dm|message|msg|contact|reach|text|ping)\s+(?:me|us)\b|\bdm\s+(?:there|here)"
)
_STATUS_AFTER = re.compile(r"\s?(?:在线|online)")
_DATE = re.compile(r"(?:19|20)\d\d[\-./]?[01]?\d[\-./]?[0-3]?\d")
_ORDER_BEFORE = re.compile(
    r"(?:订单|单号|编号|流水|运单|快递|工单|发票|序列号|货号|order|invoice|ticket|tracking|item|sku|ref|case|no\.?|nr\.?|#)"
    r"\s*(?:号|number|no\.?|id)?\s*[:：#]?\s*$"
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


_WORD_BEFORE = re.compile(r"[a-z]+$")
_TIME = re.compile(r"\d[\d:.]*(?:am|pm|h|hrs?)?")
_PHONE_PREFIXES = frozenset(
    "tel phone mobile cell call v vx wx wechat weixin q qq whatsapp wa tg telegram no num number dh sj".split()
)
_ANY_DIGIT = re.compile(r"\d")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def _spelled_domain(spelled: str) -> str:
    parts = re.split(r"\s?(?:\.|点|\(dot\)|\[dot\]|\{dot\}|\sdot\s)\s?", spelled.strip())
    return ".".join(parts).removeprefix("www.")


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


def digit_count(digits: str) -> int:
    return len(_ANY_DIGIT.findall(digits))


def find_contacts(folded: str, digits: str, count: int | None = None):
    """Yield ``(kind, confidence, start, end)`` for every contact detail;
    ``count`` is ``digit_count(digits)`` when the caller has it."""
    for regex, gate, kind, confidence in _SELF:
        if regex is _LINK and _TLD_GATE.search(folded):
            pass  # a bare domain may be there
        elif not gate.search(folded):
            continue
        for m in regex.finditer(folded):
            if regex is _LINK:
                bare = m.group().split("://")[-1].removeprefix("www.").rstrip("/")
                if bare in _PLATFORM_DOMAINS:
                    continue  # "sold on tiktok.com": the platform as a topic
            elif regex is _LINK_DISGUISED and (
                m.group("label") in _STOP or _spelled_domain(m.group()) in _PLATFORM_DOMAINS
            ):
                continue  # "the dot com era"; "tiktok dot com" is the platform
            elif regex is _DISCORD and _DISCORD_NOT.search(folded, max(0, m.start() - 8), m.end()):
                continue
            elif regex is _AT and (m.group()[1:] in _STOP or _TIME.fullmatch(m.group()[1:])):
                continue  # "@handle hidden until payment": a placeholder; "@9pm": a time
            yield kind, confidence, m.start(), m.end()
    if (digit_count(digits) if count is None else count) < 7:
        phones = ()
    else:
        phones = _PHONES.finditer(digits)
    for m in phones:
        number = m.group()
        start = m.start()
        glued = _WORD_BEFORE.search(digits, max(0, start - 12), start)
        if glued and glued.group() not in _PHONE_PREFIXES:
            continue  # "dy13800138000": digits inside an ID, not a phone
        if (
            _MASKED.search(number)
            or _order_like(digits, start)
            or ("." in number and _version_like(digits, start, number.strip()))
        ):
            continue
        if _COUNT_AFTER.match(digits, m.end()) and m.lastgroup != "cn":
            continue
        yield "phone", 0.95 if m.lastgroup in ("cn", "intl") else 0.85, start, m.end()
    for cue, keys, regex in _CUE_ID:
        if not keys.search(folded):
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
    invites = _INVITE.finditer(folded) if _INVITE_GATE.search(folded) else ()
    if _POINTER_GATE.search(folded):
        invites = itertools.chain(invites, _POINTER.finditer(folded))
    for m in invites:
        end = m.end()
        tail = _TRAILING_ID.match(digits, end)
        if tail and (
            _digit_count(tail.group("id")) >= 5
            or re.search(r"[_.\-]|\d", tail.group("id"))
            or (_NAMING_LABEL.search(tail.group("gap")) and tail.group("id") not in _STOP)
        ):
            end = tail.end()  # "my IG is nina_sells": the handle goes with the invitation
        if m.lastgroup == "addzh" and _TOPIC_AFTER.match(folded, m.end()):
            continue
        if m.lastgroup == "alone" and _TOPIC_AFTER.match(folded, m.end()):
            continue
        if negated(folded, m.start(), m.end()):
            continue
        yield "invite", 0.75 if m.lastgroup in ("alone", "qr", "bio") else 0.85, m.start(), end
