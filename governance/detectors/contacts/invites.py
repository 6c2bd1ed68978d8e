"""Invitations and pointers without an identifier ("加我微信", "add me on
WhatsApp", "扫我头像的二维码", "number in my bio"), judged in their clause
(negated or reported speech is a warning or a report, not an ask); a handle
right after one goes with it."""

from __future__ import annotations

import itertools
import re

from ..context import gate as _gate
from ..context import negated
from .cues import _NAMING_LABEL, _TRAILING_ID
from .guards import _B, _E, _STOP, _digit_count

_ADD_VERB = (
    r"(?:(?<![已未没])加|\+|➕|添加|加个|加下|加一下|加\s?我|\+\s?我|加好友|找我|私我|走"
    # 家 for 加 ("家微 yy_521"), only right before a WeChat name
    r"|家(?=\s?(?:微信|v信|vx|wx|薇|微(?=[\s:：,，a-z0-9]))))"
)
_ADD_TARGET = (
    r"(?:微信|薇信|威信|徽信|v信|微(?![博软商店视])|薇|威(?!望|力|胁|信度)|v(?![ ]?(?:认证|标|用户|博主|号主|账号|会员|\d))"
    r"|vx|wx|扣扣|企鹅|q ?q|q(?![a-z0-9])|电报|飞机|tg|whatsapp|line|绿泡泡|赖(?!皮|账|着|在|我|你|他|她)"
    r"|企业微信|企微|钉钉)"
)
_APPS_EN = (
    rf"{_B}(?:t[e3]l[e3]gr[a4@]m|wh[a@4]ts\s?[a@4]pp|douyin|xiaohongshu|rednote|tiktok|weibo|line|signal|skype|discord|kakao(?:talk)?|viber|snapchat|snap|instagram|insta"
    rf"|ig|facebook|messenger|w[e3]ch[a4@]t|w[e3][i1]x[i1]n|tg|wa|kik|qq){_E}"
)
# the first characters any branch can start with, tested before the branches
# (a Chinese text then tries them at a few positions only)
_INVITE_FIRST = "加家+➕添找私走薇徽嶶微绿卫扣企电飞上去转换acdfghklmopqrstvw"
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
    + r"|(?:move|switch|continue|talk|chat|go|take\s+(?:this|it)|(?:we\s+can|let'?s|can\s+we)\s+(?:do|finish)\s+(?:this|it))"
    + r"\s+(?:this\s+)?(?:to|on|over\s+to)\s+"
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
        "hmu 同 加 家 + ➕ 找我 私我 走 薇 徽 嶶 微 信 ❤ ♥ 绿泡泡 卫星 扣 电报 飞机 上 去 到 转 换 vx wx telegram whats "
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
    r"(?P<social>(?:去|来|上|到|在)\s?(?:抖音|小红书|红书|快手|微博|b站|ins|instagram|tiktok)[^，。！？!?\n]{0,8}?"
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
    r"(?!的?(?:公众号|视频号|小店|店铺|频道|群|小程序|账号|认证|已认证))"
    r"|\b(?:number|contact(?:\s+(?:info|details))?|e-?mail|whatsapp|wechat|telegram|line|details|socials)"
    r"\s+(?:is\s+|are\s+)?(?:in|on)\s+my\s+(?:bio|profile))" + ")"
)
_POINTER_GATE = _gate(
    tuple(
        "抖音 红书 快手 微博 扫 识别 scan qr 主页 简介 个签 签名 头像 资料 背景 bio profile 同名 同id 写在 放在 "
        "见第 看第 在第 图 视频".split()
    )
)
_PAY_AFTER = re.compile(r"\s?(?:转账|付款|收款|打款|支付|转)")
# a platform named as a topic right after the cue: "微信公众号", "+ 微信小店"
_TOPIC_AFTER = re.compile(
    r"\s?(?:公众号|视频号|小店|小程序|群(?!号)|空间|支付|钱包|红包|运动|认证|读书|指数|生态|音乐|会员|等级|官方|频道|商城|店铺"
    r"|表情|壁纸|主题|皮肤|教程|科普|攻略|运营|营销|推广"
    r"|official|channel|group|server|business|shop|store|pay|account|story|streak)"
)


# Other ways of saying "find me elsewhere", each for its family: the same name
# on another app, DMs on another platform, a QR code to connect, the detail in
# a picture, asks to move the chat or swap numbers, pinyin asks. Rarer, so one
# regex with a gate of its own.
_APPS_ZH = (
    r"(?:抖音|小红书|红书|快手|微博|b站|视频号|微信|vx|wx|v信|qq|扣扣|电报|飞机|tg|ins|ig|instagram|whatsapp|line|钉钉"
    r"|推特|twitter|weibo|bilibili|douyin|kuaishou|xhs|tiktok|telegram|discord|snapchat|snap|insta|facebook|kakao)"
)
_SAME_NAME = (
    r"(?:同名|同id|同一个名字|(?:名字|昵称|id|用户名)(?:跟|和|与)(?:这里|这边|本站|这儿)?(?:的)?(?:昵称|名字|id)?(?:一样|一模一样|相同)"
    r"|(?:跟|和|与)我?(?:这里|这边|本站|这儿)(?:的)?(?:昵称|名字|id|用户名)?(?:一样|一模一样|相同)"
    r"|\b(?:same|identical|matching)\s+(?:user\s?name|name|handle|id|nick(?:name)?)\b"
    r"|\b(?:user\s?name|name|handle|nick(?:name)?)(?:'s|\s+is|\s+are)?\s+(?:the\s+)?(?:same|identical)\b"
    r"|\bsame\s+as\s+(?:here|on\s+here|this\s+one|my\s+(?:name|profile)))"
)
_PICTURE = r"(?:图|截图|照片|背景|水印|头像|主页|简介|视频(?!号)|封面|第.张)"
# (gate: substrings one of which every match contains, regex)
_ELSEWHERE_SOURCES = [
    (tuple(k.replace("_", " ") for k in keys.split()), source)
    for keys, source in [
        (
            "同名 同id 同一个 一样 相同 same identical matching",
            rf"(?P<same>{_APPS_ZH}[^。.!?！？\n]{{0,24}}?{_SAME_NAME}|{_SAME_NAME}[^。.!?！？\n]{{0,24}}?{_APPS_ZH})"
            r"(?!的?(?:公众号|视频号|小店|店铺|频道|群|小程序|账号|品牌|商标|认证|已认证))",
        ),
        # DMs on another platform: "b站私信我", "Weibo 上找「阿鹿小铺」私聊"
        (
            # the platform's name, which every match starts with
            "抖音 小红书 红书 快手 微博 b站 视频号 ins ig 推特 weibo bilibili douyin kuaishou xhs",
            r"(?P<dm>(?=[抖小红快微b视i推wdkx])(?:抖音|小红书|红书|快手|微博|b站|视频号|ins|ig|推特|weibo|bilibili|douyin"
            r"|kuaishou|xhs)\s?(?:上|里)?\s?"
            r"(?:(?:私信|私聊|私|dd|滴滴|联系|加)我|(?:搜|找)[^，。！？!?\n]{1,14}?(?:私信|私聊|私我|找我|联系|加我|聊)))",
        ),
        # a QR code to connect: "头像就是二维码，长按识别就能加我", "扫了直接聊"
        (
            "二维码 方块码 名片码 qr code 长按 扫 scan",
            r"(?P<qr>(?:二维码|方块码|名片码|qr码?)[^。！？!?\n]{0,16}?(?:加(?:我|上我|好友|到我)|就能加|直接聊|私聊|联系我|找我)"
            # (not the handover's login: "扫码登录后可以聊天")
            r"|(?:长按|扫)(?![^。！？!?\n]{0,10}?登录)[^。！？!?\n]{0,10}?(?:就能|即可|可以|直接)?(?:加(?:我|上我|好友|到我)|聊(?!天)|联系我?|私聊|沟通)"
            r"|\b(?:qr|code)\b(?:\s+code)?[^.!?\n]{0,40}?\b(?:takes|leads|brings|gets|sends)\s+you\s+to\b"
            r"|\b(?:qr|code)\b[^.!?\n]{0,30}?\bopens?\s+(?:up\s+)?(?:my|our)\s+"
            r"(?:telegram|whatsapp|wechat|line|signal|discord|snapchat|instagram|chat|dms?|profile)\b"
            r"|\bscan\s+(?:it|this|that|the\s+code)\b[^.!?\n]{0,30}?\b(?:talk|chat|add|message|connect)"
            r"|\bqr\b[^.!?\n]{0,40}?\bscan\b[^.!?\n]{0,30}?\b(?:add|chat|talk|message|connect|contact|reach|friend)"
            r"|\b(?:send|share|post)\b[^.!?\n]{0,20}?\b(?:my|our)\s+qr\b[^.!?\n]{0,40}?\b(?:talk|chat|add|message|connect))",
        ),
        # the detail is in a picture: "手机号在我主页背景图上", "number is in the watermark"
        (
            # the picture, which every match names
            "图 截图 照片 背景 水印 头像 主页 简介 视频 封面 张 photo pic image screenshot banner watermark bio "
            "profile video thumbnail cover avatar",
            # the first characters first, as in _INVITE: a position is tried only where one could start
            r"(?=[电手号微vq联邮unpcewtshd])(?P<pic>(?:电话|手机号码?|号码|微信号?|vx|v信|qq|联系方式|邮箱|uid)[^，。,.!?！？\n]{0,3}?(?:藏|写|放|印|贴|留|打)?在"
            rf"(?:我的?)?[^，。,.!?！？\n]{{0,8}}?{_PICTURE}(?![^，。,.!?！？\n]{{0,8}}(?:打码|遮|隐藏|马赛克|删))"
            r"|\b(?:number|phone|cell|contact(?:\s+(?:info|details))?|e-?mail|whatsapp|wechat|telegram|handle|socials|digits)"
            r"\s+(?:is|are)\s+(?:in|on)\s+(?:the|my)\s+(?:\w+\s+){0,2}?"
            r"(?:photo|pic|picture|image|screenshot|banner|watermark|bio|profile|video|thumbnail|cover|avatar)s?\b)",
        ),
        # move the chat or swap numbers: "换个地方聊", "留个电话", "text me instead"
        (
            "换个 站外聊 站外联系 站外沟通 私下聊 私下联系 私下沟通 留个 留下 留一下 电话里 电话上 给我你 发我你 "
            "me_instead me_directly me_on_my your_number "
            "your_phone your_cell your_whatsapp your_telegram your_wechat your_contact your_socials your_e your_mail "
            "take_this take_it",
            r"(?=[换站私留电发给tcrpsdgl])(?P<move>换个(?:地方|平台|软件|app)(?:聊|说|谈|联系|沟通)|(?:站外|私下)(?:聊(?!天)|联系|沟通)"
            r"|留(?:个|下|一下)(?:你的?|我的?)?(?:电话|手机号?|号码|联系方式|微信|qq|vx)|电话(?:里|上)(?:聊|说|谈)"
            r"|(?:发|给)我(?:你的?)(?:电话|手机号|号码|联系方式|微信号?|qq号?)(?![^。！？\n]{0,16}(?:换绑|绑定|验证|登录|实名))"
            r"|\b(?:text|call|ring|phone)\s+me\s+(?:instead|directly|on\s+my\s+(?:cell|phone|number))\b"
            r"|\b(?:send|drop|give|share|leave)\s+(?:me\s+)?your\s+(?:number|phone|cell|whatsapp|telegram|wechat|contact|socials)\b"
            r"(?![^.!?\n]{0,40}\b(?:bind|link|recovery|2fa|verif|log\s?in|account))"
            r"|\b(?:drop|send|give|share|leave)\s+(?:me\s+)?your\s+e-?mail\b[^.!?\n]{0,40}?\b(?:privately|directly|off[- ]?(?:site|platform)|outside)"
            r"|\btake\s+(?:this|it)\s+(?:offline|elsewhere|somewhere\s+else|off\s+(?:here|this\s+site)))",
        ),
        # the channel named after the handle: "搜一搜 kk_shop2024 就能加到我（微）"
        (
            "我（ 我( 我【 我[ 我_（ 我_( 我_【 我_[",
            r"(?P<after>(?<![a-z0-9_])[a-z][a-z0-9_.\-]{2,30}[a-z0-9_]\s?(?:就能|即可|可以|就)?加(?:到|上)?我\s?[（(【\[]\s?"
            r"(?:微信?|v信?|vx|wx|q|qq|扣扣|企鹅|飞机|tg|电报)\s?[）)】\]])",
        ),
        # pinyin: "jia wo weixin", "jia wo wx"
        ("jia", r"(?P<pinyin>\bjia\s?(?:wo\s?)?(?:wei\s?xin|wx|vx|qq|kou\s?kou)\b)"),
    ]
]

_ELSEWHERE = [(_gate(keys), re.compile(source)) for keys, source in _ELSEWHERE_SOURCES]
# every family's gate keys in one: most texts pass one scan, not six
_ELSEWHERE_GATE = _gate(tuple(sorted({k for keys, _s in _ELSEWHERE_SOURCES for k in keys})))


def find_invites(folded: str, digits: str):
    """Yield ``(kind, confidence, start, end)`` for invitations and pointers."""
    invites = _INVITE.finditer(folded) if _INVITE_GATE.search(folded) else ()
    if _POINTER_GATE.search(folded):
        invites = itertools.chain(invites, _POINTER.finditer(folded))
    if _ELSEWHERE_GATE.search(folded):
        for gate, regex in _ELSEWHERE:
            if gate.search(folded):
                invites = itertools.chain(invites, regex.finditer(folded))
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
        if (
            m.lastgroup == "addzh"
            and folded[m.start()] == "走"
            and _PAY_AFTER.match(folded, m.end())
        ):
            continue  # "钱走微信转账": the payment's path, BEH-09's business
        if m.lastgroup == "alone" and _TOPIC_AFTER.match(folded, m.end()):
            continue
        if negated(folded, m.start(), m.end()):
            continue
        pointer = m.lastgroup in ("alone", "qr", "bio", "same", "pic")
        yield "invite", 0.75 if pointer else 0.85, m.start(), end
