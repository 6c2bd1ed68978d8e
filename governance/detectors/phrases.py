"""Phrase rules, read in the folded (lower-case) text, each match then judged in
its clause: a negation before it or a disapproval after it ("本店不接受私下交易",
"never pay outside escrow", "禁止互粉", "like-for-like is against the rules")
turns it into the platform's own warning, not a violation.

- ``BEH-09`` steering the payment off the platform: a private/offline deal, a
  payment verb aimed at a channel of the seller's (支付宝, 银行卡, USDT, PayPal,
  Zelle, a wallet …), skipping escrow or its fee;
- ``BEH-01`` engagement bait: asking for likes/follows/shares/reviews, or paying
  for them (集赞, 好评返现, "like and share to win");
- ``LST-12`` prohibited claims: ban-proof, risk-free, guaranteed income or growth.
"""

from __future__ import annotations

import re

from .context import clause_before, keys_in, negated
from .context import gate as _gate

_NUM_ZH = r"[\d一二三四五六七八九十两几百千万]"

_PAY_CHANNEL_ZH = (
    r"(?:支付宝|微信|v信|vx|银行卡|卡上|卡里|账户|钱包|usdt|比特币|收款码|收款账户|钱包地址|u地址|paypal|zelle|venmo|wise"
    # a bank by its short name, a company account: "打款到我工行卡", "对公账户"
    r"|(?:工行|建行|农行|中行|招行|交行|邮储|工商银行|建设银行|农业银行|中国银行|招商银行)卡?|对公账?户?|私户)"
)
_OFF_PLATFORM_ZH = (
    r"(?:私下|线下|站外|场外|平台外|系统外|外面)(?:交易|转账|转|付款|付|打款|成交|支付|收款|汇款|结算|交)"
    r"|面交|当面交易|(?:去|走)(?:闲鱼|转转|咸鱼)|(?:去|走)(?:淘宝|拼多多|京东)(?:的)?(?:交易|拍|下单|成交|付款|链接)"
    r"|(?:不|别|无需|不用|不必|没必要|省得|不想)(?:再)?(?:走|通过|经过|用|经)(?:平台|担保|中介|官方|系统|网站)"
    r"|绕(?:过|开)(?:平台|担保|中介|系统)|跳过(?:平台|担保|中介)|(?:省|免)(?:掉|去)?(?:平台|中介|担保)(?:的)?(?:费|手续费|抽成|佣金)"
    rf"|(?:转|付|打|汇|充)(?:钱|款|账|定金|尾款|全款|红包)?(?:直接)?(?:到|进|至)?我(?:的)?{_PAY_CHANNEL_ZH}"
    rf"|(?:转|付|打|汇)[^，。,.!！?？]{{0,6}}?(?:到|进|至|给)我的?{_PAY_CHANNEL_ZH}|收款码|收钱码"
    rf"|(?:转|付|打|汇)(?:钱|款|账|定金|尾款|全款)(?:直接)?(?:到|进|至)(?:我的?)?{_PAY_CHANNEL_ZH}"
    r"|(?:支付宝|微信|v信|vx|银行卡|usdt|比特币|红包|收款码|付款码)(?:直接|扫码)?(?:转账?|付款|打款|扫码?|收款|转我|发你)"
    r"|(?:支付宝|微信|v信|vx|银行卡|卡号|usdt|比特币|paypal)[^。.!！?？]{0,24}?(?:转过来|打过来|汇过来|付过来|转给我|打给我|转我|直接转|直接付|直接打)"
    rf"|(?:转账?|打款|付款|汇款|打钱)(?:到|至|给|进)[^，。,.!！?？]{{0,24}}?{_PAY_CHANNEL_ZH}"
    r"|(?:支付宝|微信|银行卡|收款码|收款账户|paypal|usdt)(?:账号|账户|号|卡号|地址)?(?:发|给|告诉)我"
    r"|钱(?:直接)?(?:打|转|走)(?!平台|担保|官方)(?:我|到|支付宝|微信|卡)"
    rf"|{_PAY_CHANNEL_ZH}\s?(?:给我|转我|打给我|转给我|付给我)"
    r"|直接(?:给我)?(?:转账|打款|打钱|转钱|付款给我)|(?:转账|打款|打钱|付款|汇款|转钱)给我|(?:不用|别|不要|无需)(?:在这里?|在平台)?下单"
)
# Where to send the money, and mixed-language asks: rarer, so a pattern (and a
# gate) of their own
_OFF_PLATFORM_ZH_MORE = (
    # where to send it: "发你钱包地址", "转到这个地址", "红包发我"
    r"(?:发|给|告诉|私)你\s?(?:我的?)?(?:钱包地址|收款地址|u地址|收款码|收款账户|收款账号|银行卡号?|卡号|支付宝账?号)"
    r"|(?:转|打|付|汇)(?:账|款|钱)?(?:到|进|至)这个(?:地址|账户|账号|卡|码|钱包)|(?:红包|转账)(?:直接)?(?:发|转|给)我"
    r"|(?:usdt|比特币|btc|以太坊|eth|泰达币)\s?(?:(?:也|都)(?:收|可以|行|接受)|可收|接受)|(?:也|都|只)收\s?(?:usdt|比特币|btc)"
    # "收U", "TRC20 地址私发": a wallet on a named network
    r"|收\s?u(?![a-z0-9盘])|(?:trc|erc|bep)-?20\s?(?:地址|钱包|address|wallet|only)"
    # the money itself aimed at me: "定金转我就行", "钱发我红包", "付款走银行转账"
    r"|(?:定金|尾款|全款|首付|货款|钱|(?<![退放提])款)(?:直接|先)?(?:转|打|付|汇)(?:给)?我(?!的?(?:平台|担保))"
    r"|(?:发|转|给)我(?:个|几个|\d+个)?红包(?!封面)"
    r"|(?:付款|付钱|钱|款|尾款|定金|货款)(?:直接)?走(?:银行|支付宝|微信|v信|vx|对公|私户|卡|usdt|paypal|线下|私下)"
    r"|走(?:银行|对公|私户)(?:转账|汇款)"
    # where to send it, the other way round: "卡号私聊给你", "地址私发你"
    r"|(?:卡号|钱包地址|收款地址|u地址|收款码|收款账户)(?:单独|私下)?(?:私发|私聊|私信|发|给)(?:给)?你"
    # mixed languages: "Pay 到我的 Alipay", "转账 to my bank card"
    r"|(?:(?:转账?|打款|付款?|汇款?|打钱)\s*(?:直接)?\s*(?:到|进|至|给|to|into)"
    r"|(?:pay|send|transfer|wire)\s*(?:直接)?\s*(?:到|进|至|给))\s*(?:我的?|my)\s*"
    rf"(?:{_PAY_CHANNEL_ZH}|alipay|bank\s*card|bank|wallet|card|zelle|venmo|wechat)"
)
_PAY_CHANNEL_EN = (
    r"(?:pay\s?pal|zelle|venmo|cash\s?app|crypto|usdt|btc|bitcoin|eth|ethereum|wallet|bank(?:\s+(?:transfer|account|wire))?"
    r"|wire(?:\s+transfer)?|alipay|wechat\s?pay|western\s+union|wise|revolut|gift\s?cards?|skrill|payoneer"
    r"|apple\s?pay|google\s?pay|(?:my|your)\s+(?:bank\s+)?card)"
)
_OFF_PLATFORM_EN = (
    r"\bpay(?:\s+(?:me|us|it|him|her|them|anyone|the\s+\w+|\$?\d[\d,.]*k?|\w+)){0,2}\s+(?:directly|outside|off\b|instead"
    rf"|(?:via|by|through|with|on|using|to\s+my|into\s+my|to|into|in)\s+(?:my\s+|our\s+)?{_PAY_CHANNEL_EN})"
    r"|\b(?:send|wire|transfer|deposit)\b(?:\s+(?:me|us|it|the|my|your|\$?\d[\d,.]*k?|money|cash|funds|payment|\w+)){0,3}?"
    rf"\s+(?:via|by|through|with|on|using|to|into)\s+(?:my\s+|our\s+)?{_PAY_CHANNEL_EN}\b"
    r"|\b(?:send|wire|transfer)\s+(?:me\s+)?(?:the\s+)?(?:money|cash|funds|payment)\s+(?:directly|outside|off\b)"
    r"|\b(?:venmo|zelle|cash\s?app|paypal|revolut|paynow)\s+(?:me|us|it)\b|\b(?:deal|trade|transact)\s+(?:with\s+me\s+)?directly\b"
    r"|\b(?:do|use|accept|take)\s+(?:paypal|zelle|venmo|cash\s?app|wise|revolut|usdt|crypto|bitcoin|btc|western\s+union"
    r"|alipay|wechat\s?pay)\b|\b(?:send|wire|transfer|deposit)\b[^.!?\n]{0,20}?\bto\s+my\s+(?:bank\s+)?account\b"
    rf"|\b(?:payment|paying)\s+(?:is\s+)?(?:only\s+)?(?:via|by|through|in|with|using)\s+(?:my\s+)?{_PAY_CHANNEL_EN}"
    r"|\b(?:skip|avoid|bypass|go\s+around|cut\s+out|circumvent|save)\s+(?:the\s+|on\s+)?(?:escrow|platform|site|middleman)(?:'s)?(?:\s+fees?)?"
    r"|\b(?:send|pay)\b[^.!?\n]{0,20}?\bas\s+a\s+gift\b|\bpersonal\s+payment\b"
    r"|\bpay\s+(?:via|through|with|using)\s+(?:my|this)\s+(?:own\s+)?(?:link|invoice|qr\s*code)\b"
    # PayPal's no-protection mode in its spellings: "FnF", "friends n fam", "sending to a friend"
    # ("my friends and family follow this page" is not a payment: a pay word must be near)
    r"|\b(?:pay\s?pal|pay|paying|payment|send|sent|venmo|as)\b[^.!?\n]{0,30}?\b(?:friends?\s*(?:and|&|n)\s*fam(?:ily)?|family\s*(?:and|&)\s*friends)\b"
    r"|\b(?:friends?\s*(?:and|&|n)\s*fam(?:ily)?|family\s*(?:and|&)\s*friends)\b[^.!?\n]{0,20}?\b(?:pay|payment|only|please|pls|paypal)"
    r"|\bf\s?&\s?f\b|\bf\s?n\s?f\b"
    r"|\b(?:send|pay)\s+(?:it\s+)?as\s+(?:a\s+)?personal\b|\bpersonal,?\s+not\s+business\b"
    r"|\bsending\s+to\s+a\s+friend\b|\bgoods\s+and\s+services\s+outside"
    r"|\b(?:off|outside)\s+(?:of\s+)?(?:the\s+|this\s+)?(?:site|platform|escrow|app|handoff)\b|\boff[- ]platform\b"
    r"|\b(?:not|instead\s+of|rather\s+than|without\s+using)\s+(?:through|via|using|on|with)\s+(?:the\s+)?(?:escrow|platform|site)\b"
    r"|\bdirect\s+(?:bank\s+)?(?:transfer|payment|deposit|wire)\b"
    r"|\bno\s+(?:need\s+for\s+)?escrow(?:\s+needed)?\b|\bescrow\s+(?:is\s+)?not\s+needed|\bdirectly\s+from\s+me\b"
)

_OFF_PLATFORM_EN_MORE = (
    # a channel said to be fine, a cashtag, the seller's own checkout, gift cards
    r"\b(?:paypal|zelle|venmo|cash\s?app|wise|revolut|usdt|crypto|bitcoin|btc|alipay|wechat\s?pay|western\s+union"
    r"|gift\s?cards?|bank\s+transfer|wire\s+transfer|a\s+wire)\s+(?:(?:works|is\s+fine|is\s+ok|are\s+fine)\s+(?:for\s+me|for\s+us|with\s+me|as\s+payment|too)"
    r"|is\s+accepted|are\s+accepted)\b"
    r"|\bcash\s?app\b[^.!?\n]{0,40}?\$[a-z][a-z0-9_]{2,19}\b"
    r"|\b(?:buy|purchase|order|pay|checkout)\b[^.!?\n]{0,20}?\b(?:through|via|with|using|on)\s+my\s+(?:own\s+)?(?:[a-z]+\s+)?"
    r"(?:invoice|link|payment\s+link|store|shop|site|website|checkout)\b"
    # another marketplace: "we can close it on Fiverr instead"
    r"|\b(?:close|finish|complete|do|move|take|settle|continue)\s+(?:it|(?:this|that|the|our)(?:\s+(?:deal|sale|trade|payment))?)\s+"
    r"(?:on|over\s+on|to|via|through|at)\s+(?!handoff|escrow|here|the\s+platform|this\s+site)[a-z0-9.]+\s+instead\b"
    r"|\b(?:buy|get|send|grab)\s+(?:me|us)\s+(?:an?\s+)?(?:[a-z]+\s+){0,2}gift\s?cards?\b"
    r"|\b(?:skip|avoid|dodge|save\s+on|save)\s+(?:the|your|their|all\s+the|those)\s+(?:platform\s+|escrow\s+|site\s+|service\s+|handoff\s+)?"
    r"(?:fees?|commission|cut)\b(?!\s+(?:of|for|on)\b)"
    r"|\bgift\s?cards?\b[^.!?\n]{0,30}?\b(?:as\s+payment|for\s+payment|accepted|are\s+fine|is\s+fine)"
    r"|\b(?:pay|payment)\b[^.!?\n]{0,20}?\bgift\s?cards?\b|\bsend\s+(?:me\s+)?the\s+(?:gift\s+card\s+)?codes\b"
    # settling elsewhere: "settle by bank transfer", "keep the platform out", "off-site to avoid the fee"
    rf"|\bsettle\s+(?:up\s+)?(?:via|by|through|with|using|on|in)\s+(?:my\s+)?{_PAY_CHANNEL_EN}"
    r"|\bkeep\s+(?:the\s+)?(?:platform|escrow|site)\s+out\b"
    r"|\b(?:do\s+(?:this|it|the\s+deal)|deal|trade|pay|payment|transact)\s+off[- ]site\b"
    r"|\bavoid\s+(?:the\s+|their\s+)\d+\s?%\s+(?:fees?|commission|cut)\b"
)

_BAIT_ZH = (
    r"求(?:点赞|关注|转发|收藏|三连|互粉|互关|评论|好评|赞|打call|粉|回关)|互fo|互follow|(?:有关|必|秒)回关|有赞必回"
    r"|求(?:点赞|关注|转发|收藏|三连|互粉|互关|评论|好评|赞|打call)|一键三连|三连(?:支持|走一波|一下|安排)|(?<!相)互(?:粉|关(?!系)|赞|推|刷|评|助)"
    r"|集(?:满)?" + _NUM_ZH + r"*个?赞|转发集赞"
    r"|(?:点赞|关注|转发|收藏|评论|分享|留言)\s?[+＋、和加与&/]?\s?(?:点赞|关注|转发|收藏|评论)"
    r"(?!(?:\s?[+＋、和加与&/及]?\s?(?:点赞|关注|转发|收藏|评论|分享))*\s?(?:比|率|数|量|都|均|总|平均|情况|数据|互动|占比|记录|截图))"
    r"|(?:点赞|关注|转发|收藏|评论|私信|分享|留言)(?:本条|此条|这条|我|一下|本号|店铺|本店|主页)?"
    # "关注后私信" is how one writes to someone there (BEH-08), not a reward
    r"(?:后(?!私信|私聊|联系|找我|加我|私我)|即可|就送|并|送|领|抽|有礼|有奖|返|截图|到朋友圈|到群|过\s?"
    + _NUM_ZH
    + r")(?!数|量|率|比)"
    r"|(?:关注|点赞|转发)我?(?:每天|每周)?(?:抽奖|抽|送)|转发(?:此条|本条|这条)?(?:到|至)"
    + _NUM_ZH
    + r"*个?(?:群|朋友圈)"
    r"|截图(?:找我|私信)?领|回赞|回粉|(?:必|秒|都|会)回(?:赞|粉|访)|点(?:个|一下|点)?(?:小心心|红心|爱心|小红心)|(?:点个|点点|点下|点一下|顺手|求个)关注|点个赞|点点赞|给个赞|点赞支持|关注一下|关注走一波|双击(?:屏幕|666|支持|关注)"
    r"|评论区?(?:扣|打|回复)\s?\d|扣\s?1领|评论区?(?:留言|回复|扣|打)?\s?[“\"「‘'][^”\"」’']{1,8}[”\"」’']"
    r"|(?:好评(?!率|数|度|如潮)|五星|晒图|晒单)[^。.!！?？]{0,10}?(?:返现|返\d|返钱|返红包|红包)"
    r"|(?:关注|点赞|转发|评论)(?:我|本号|一下|主页)?[，,\s]{0,2}(?:每天|每周|每月)?(?:抽奖|抽\s?\d|抽[一二三两几]|送福利|送号)"
    r"|好评返现?|晒(?:图|单)(?:好评)?返|五星好评(?:返|送|有礼)|好评(?:送|有礼|返)|给(?:个)?五星好评"
    # paid or faked engagement: "帮忙刷个好评", "刷单返现"
    r"|(?:帮(?:忙|我)?|来|找人|花钱|一起)刷[个点些一下]*(?:好评|单|赞|粉|评论|播放|数据)"
    r"|刷[个点些]?(?:好评|单|赞)[^。！？!?]{0,10}?(?:返|给你|送)"
    # mixed languages: "点赞 + share", "follow 加关注"
    r"|(?:点赞|关注|转发|收藏|评论|分享)\s?[+＋、和加与&/]?\s?(?:like|follow|share|comment|subscribe|repost)\b"
    r"|\b(?:like|follow|share|comment|subscribe|repost)\s?[+＋、和加与&/]?\s?(?:点赞|关注|转发|收藏|评论)"
)
# a review or rating paid for, across commas: "评价写满 50 字带图，返现 8 元",
# "麻烦改成好评，给你补偿 30"; the reward's own clause must not be negated
# ("评价全是真实买家，没有返现")
_REVIEW_REWARD_ZH = (
    r"(?:好评|五星|晒图|带图|评价|追评|晒单)[^。！？!?\n]{0,16}?"
    r"(?P<reward>返现|返\s?\d|返钱|返红包|返(?:你|您)|红包|补偿|退你|退您|送你|奖励|立减)"
)
_BAIT_EN = (
    r"\blike\s*(?:and|&|\+|,)\s*(?:subscribe|follow|share|comment)\b"
    r"(?!\s*(?:counts?|ratios?|rates?|numbers|data|stats|buttons?|metrics|figures))"
    r"|\b(?:follow|share|subscribe|repost|retweet)\s*(?:,|&|and|\+)\s*(?:follow|like|share|subscribe|repost|retweet|comment)\b"
    r"(?!\s*(?:counts?|ratios?|rates?|numbers|data|stats|buttons?))"
    r"|\b(?:follow|like|sub|share)\s?-?(?:4|for)-?\s?(?:follow|like|sub|share)\b"
    r"|\b(?:f4f|l4l|s4s|sub4sub|like4like|followback|follow\s+back)\b|\bsmash\s+(?:that|the)\s+(?:like|follow|subscribe)"
    r"|\b(?:like|follow|share|repost|retweet|comment|subscribe|tag)\b[^.!?\n]{0,40}?\b(?:to|and|for\s+a\s+chance\s+to)\s+"
    r"(?:win|enter|get\s+(?:a|the|your|free)|receive|claim)\b"
    r"|\btag\s+(?:\d+|two|three|four|five|a|your)\s+friends?\b|\bshare\s+(?:this\s+)?with\s+\d+\s+friends"
    r"|\bdouble\s+tap\s+(?:if|to)\b|\bdrop\s+a\s+(?:like|follow|comment)\b|\bcomment\s+['\"“]?\w+['\"”]?\s+(?:below|to\s+get)\b"
    r"|\b(?:give|leave)\s+(?:us|me)?\s*(?:a\s+)?(?:5|five)[- ]?stars?\b(?:\s+review)?\s+(?:and|for|to\s+get|=)"
    r"|\b(?:5|five)[- ]?stars?(?:\s+review)?\s*(?:=|for|and\s+get|to\s+get|gets\s+you)\s*(?:a\s+)?(?:free|refund|cash|discount|gift|bonus|\$)"
    r"|\b(?:rate|give|leave)\s+(?:us\s+|me\s+)?(?:a\s+)?(?:5|five)[- ]?stars?\b[^.!?\n]{0,30}?\b(?:refund|cash\s?back|gift|discount|bonus|free|\$)"
    r"|\bcash\s?back\s+for\s+(?:a\s+)?(?:positive|good|5[- ]star|five[- ]star)?\s*reviews?"
    # an action, then the reward: "repost this and I'll send you a discount code",
    # "change your review to 5 stars and I'll refund $20"
    r"|\b(?:like|follow|share|repost|retweet|comment|subscribe|sub|review|rate|rating|tag)\b[^.!?\n]{0,30}?"
    r"\b(?:and|&|then)\s+(?:i'?ll|we'?ll|i\s+will|we\s+will|you'?ll\s+get|you\s+get|get|receive)\b[^.!?\n]{0,30}?"
    r"\b(?:refund|back|cash|discount|gift|bonus|free|money|fee|code|coupon|shoutout|prize|reward)"
    r"|\b(?:good|positive|5[- ]star|five[- ]star|great)\s+(?:review|rating)s?\s+(?:gets?|earns?|wins?)\s+(?:you\s+)?"
    r"(?:a\s+)?(?:free|refund|discount|gift|bonus|\$)"
    # follow-backs promised: "hit follow and I'll return it", "everyone who follows gets a follow"
    r"|\b(?:follow|like|sub(?:scribe)?)\b[^.!?\n]{0,20}?\b(?:and|&)\s+i'?ll\s+(?:return\s+(?:it|the\s+favou?r)"
    r"|follow\s+(?:you\s+)?back|like\s+(?:yours?\s+)?back|sub\s+back)"
    r"|\b(?:every|any)(?:one|body)?\s+who\s+(?:follows|likes|subs)\s+gets?\s+(?:a\s+)?(?:follow|like|sub)"
    r"|\breturn\s+(?:every|all|each)\s+(?:follow|like|sub)s?\b"
)

_CLAIM_ZH = (
    r"(?:保证|包|确保|承诺|绝对|永久|永远)(?:永久|永远)?(?:不|永不|绝不)(?:会)?(?:被)?(?:封号|封|掉粉|限流|降权|违规)"
    r"|(?:100%|百分百|百分之百|绝对|完全)\s?(?:不|永不)(?:会)?(?:被)?(?:封|违规|掉粉|限流)"
    r"|(?:不会|绝不|决不|永不)(?:会)?(?:被)?(?:封号|封|掉粉|限流)|包涨|保涨|稳涨粉"
    r"|永不封号|永久不封|不会被封|不可能被封|封不[了掉]|(?:永久)?防封号?(?!教程|攻略|技巧|方法|课程|知识|指南|科普)|(?:100%|百分百|百分之百|绝对|完全)安全"
    r"|(?<![低高])(?:零|0|无)风险(?!提示|评估|等级|警告)|稳赚(?:不赔|不亏)?|必涨粉?|必上热门|\d+\s?天(?:内)?回本|快速回本|当月回本|收益翻(?:倍|番)|躺(?:着)?(?:赚|挣)|包赚|保赚|必赚|包回本|稳回本|保本|保底收益"
    r"|保证[^，。,.!！?？;；]{0,6}?(?:收益|涨粉|上热门|赚钱|回本|月入|日入)|收益有保障|(?:日|月|周|年)(?:入|赚)(?:过|破)?\s?"
    + _NUM_ZH
    + r"|包涨粉|包上热门|包过审|包火|必火|包爆|必爆|全网第一|全网最低|史上最低"
)
_CLAIM_EN = (
    r"\bguarantee(?:d|s)?\s+(?:\S+\s+){0,3}?(?:income|earnings|profits?|revenue|returns?|followers|growth|views|monetis\w+"
    r"|monetiz\w+|approval|sales|virality|to\s+(?:earn|make|grow|go\s+viral))\b"
    r"|\b(?:income|earnings|profits?|revenue|returns?|followers|growth|monetis\w+|monetiz\w+|approval)\s+(?:[^\s;.,!?]+\s+){0,3}?guaranteed\b"
    r"|\b(?:will\s+never|won'?t\s+ever|won'?t|can\s*not|can'?t|can\s+never|guaranteed\s+(?:not|never)\s+to|never\s+gets?)\s+"
    r"(?:ever\s+)?(?:be\s+|get\s+)?(?:banned|suspended|shadow\s?banned|flagged|removed|restricted|demoneti[sz]ed)\b"
    r"|\b(?:zero|no)\s+ban\s+risk\b|\bguaranteed\s+(?:roi|engagement|likes|subscribers|traffic|reach)\b"
    r"|\bban[- ]?(?:proof|free)\b|\bun-?bann?able\b|\b100%\s+(?:safe|legit|secure|guaranteed)\b|\brisk[- ]free\b|\bzero\s+risk\b"
    r"|\bno\s+risk\s+(?:at\s+all|whatsoever)\b|\bdouble\s+your\s+(?:money|income|investment)\b|\bget\s+rich\s+quick\b|\beasy\s+money\b"
    r"|\b(?:earn|make|making|earning)\s+(?:at\s+least\s+|up\s+to\s+|over\s+)?\$?\d[\d,.]*k?\+?\s*(?:\$|usd|dollars)?\s*"
    r"(?:a|per|every|/)\s*(?:day|week|month|hour)\b"
)

_CLAIM_EN_MORE = (
    r"\bi\s+guarantee\s+(?:it|this|that|you)\b"
    r"|\b(?:zero|no|0%)\s+(?:chance|risk|possibility)\s+of\s+(?:a\s+|being\s+|getting\s+)?(?:ban|bans|banned|suspension)\b"
    r"|\bimpossible\s+to\s+(?:get\s+|be\s+)?(?:banned|suspended|flagged)\b|\bimpossible\s+to\s+lose\b"
    r"|\bban[- ]?(?:immune|resistant)\b|\bimmune\s+to\s+bans?\b|\bsafe\s+for\s+life\b|\b(?:lifetime|forever)\s+ban[- ]free\b"
    r"|\bno\s+way\s+to\s+lose\b|\b(?:you|we)\s+(?:can'?t|cannot)\s+lose(?:\s+money)?(?=\s*(?:[,.!;]|$|with\b|here\b|on\s+this\b))|\bcan'?t\s+lose\s+money\b"
    # "#1 seller on the internet", "the best page in the whole world"
    r"|#1\s+(?:\w+\s+)?(?:on\s+the\s+internet|online|in\s+the\s+(?:world|market|industry))"
    r"|\bnumber\s+one\s+(?:\w+\s+)?(?:on|in)\s+the\s+(?:internet|world|market|industry)\b"
    r"|\b(?:best|safest|cheapest)\s+(?:\w+\s+){0,2}?(?:on\s+the\s+internet|in\s+the\s+(?:whole\s+)?world|on\s+the\s+market|anywhere)\b"
    # a headline claim, not the account's history ("was never banned", "never been banned")
    r"|(?<!was\s)(?<!were\s)(?<!been\s)(?<!has\s)(?<!have\s)(?<!i\s)\bnever\s+banned\b"
)
_CLAIM_ZH_MORE = (
    r"行业第一|(?:全网|全国|全球|业内|行业|史上|全平台)(?:第一|最[好强稳低高大优佳牛]|顶尖|唯一)"
)
# pinyin for the phrase rules: "bu zou ping tai", "hao ping fan xian", "bao zheng bu feng hao";
# one regex (one gate) for the three, the group names the rule
_PINYIN_RULES = {
    "py_off": ("BEH-09", "off_platform"),
    "py_bait": ("BEH-01", "bait"),
    "py_claim": ("LST-12", "claim"),
}
_PINYIN = {
    "BEH-09": r"\bsi\s?xia\s?(?:jiao\s?yi|zhuan\s?zhang|fu\s?kuan|cheng\s?jiao)\b"
    r"|\bbu\s?(?:zou|yong|guo)\s?(?:ping\s?tai|dan\s?bao)\b|\bzhuan\s?zhang\s?gei\s?wo\b",
    "BEH-01": r"\bhao\s?ping\s?fan\s?xian\b|\bhu\s?(?:fen|guan|zan)\b|\bqiu\s?(?:zan|guan\s?zhu)\b",
    "LST-12": r"\bbao\s?zheng\s?(?:bu\s?feng(?:\s?hao)?|zhang\s?fen|shou\s?yi|zhuan\s?qian|hui\s?ben)\b|\byong\s?bu\s?feng\s?hao\b|\bling\s?feng\s?xian\b"
    r"|\bwen\s?zhuan\s?bu\s?(?:pei|kui)\b|\bbao\s?zhang\s?fen\b",
}

# Gates: substrings every match of the pattern contains (checked first, in C).
# Gates: substrings one of which every match of the pattern contains, checked
# first (in C) so that a message runs only the patterns it could match.
# Space-separated; a pattern change must keep its gate true (the corpus test
# compares gated and ungated scans).
_GATES = {
    "off_zh": "私下 线下 站外 场外 平台 系统 外面 网站 担保 中介 官方 绕 跳过 支付宝 微信 v信 vx 银行 卡 账户 钱包 "
    "工行 建行 农行 中行 招行 交行 邮储 对公 私户 京东 汇款 转钱 "
    "收钱 usdt 比特币 收款 付款 红包 paypal zelle venmo wise 钱 直接 给我 下单 面交 当面 闲鱼 咸鱼 转转 淘宝 拼多多",
    "off_en": "gift personal deal trade transact do use accept take pay send wire transfer deposit venmo zelle cash skip avoid bypass around cut circumvent save "
    "friend f&f f_&_f fnf f_n_f fam revolut paynow goods off outside escrow directly direct not instead rather without",
    # the rarer asks: one gate for both languages, then the pattern
    # the rarer asks, one gate per language (a long mixed list of literals is slow)
    "more_zh": "这个地址 这个账 这个卡 这个码 这个钱 发你 给你 告诉你 私你 红包 转账 到我 进我 至我 给我 收u 收_u 也收 都收 "
    "转我 打我 付我 汇我 发我 走 私聊 私发 私信 "
    "也可以 都可以 也行 都行 也接受 都接受 可收 接受 20地址 20_地址 20钱包 20_钱包",
    "more_en": "accepted is_fine are_fine is_ok works cash gift the_codes my_own my_invoice my_link my_payment my_store "
    "my_shop my_site my_website my_checkout instead gift fee commission cut 20_address 20address 20_wallet 20wallet 20_only 20only settle "
    "platform_out escrow_out site_out off-site off_site %_fee %_commission %_cut",
    "bait_zh": "回关 求 三连 互 集 赞 关注 转发 收藏 评论 分享 留言 私信 截图 双击 扣 好评 晒 五星 刷 回粉 回访 心 "
    "带图 评价 追评",
    "review_zh": "好评 五星 晒图 带图 评价 追评 晒单",
    "bait_en": "like follow f4f l4l s4s sub share smash repost retweet comment tag tap drop give leave star "
    "review rate rating return "
    "cash rate",
    "claim_zh": "必涨 必上 回本 翻倍 翻番 封 掉粉 限流 降权 违规 安全 风险 赚 挣 回本 保本 保底 保证 收益 入 涨 热门 过审 火 爆 全网 史上 "
    "第一 最 顶尖 唯一",
    "claim_en": "double demoneti guarantee ban suspended flagged removed restricted 100% risk rich easy earn make making",
    # gates are one shared scan now, so a family of its own costs a set test, not a pass
    "claim_en_more": "i_guarantee chance possibility risk_of impossible immune resistant for_life lifetime forever "
    "way_to_lose can't_lose "
    "cant_lose cannot_lose #1 number_one best safest cheapest never_banned",
    "pinyin": "si_xia sixia bu_zou buzou bu_yong buyong bu_guo buguo zhuan_zhang zhuanzhang "
    "hao_ping haoping hu_fen hufen hu_guan huguan hu_zan huzan qiu_zan qiuzan qiu_guan qiuguan "
    "bao_zheng baozheng yong_bu yongbu ling_feng lingfeng wen_zhuan wenzhuan bao_zhang baozhang",
}
_SCANNERS = [
    (
        rule,
        kind,
        confidence,
        _gate(tuple(k.replace("_", " ") for k in _GATES[gate].split())),
        re.compile(pattern),
    )
    for rule, kind, confidence, gate, pattern in [
        ("BEH-09", "off_platform", 0.9, "off_zh", _OFF_PLATFORM_ZH),
        ("BEH-09", "off_platform", 0.85, "off_en", _OFF_PLATFORM_EN),
        ("BEH-09", "off_platform", 0.9, "more_zh", _OFF_PLATFORM_ZH_MORE),
        ("BEH-09", "off_platform", 0.85, "more_en", _OFF_PLATFORM_EN_MORE),
        ("BEH-01", "bait", 0.85, "bait_zh", _BAIT_ZH + "|" + _REVIEW_REWARD_ZH),
        ("BEH-01", "bait", 0.85, "bait_en", _BAIT_EN),
        ("LST-12", "claim", 0.85, "claim_zh", _CLAIM_ZH + "|" + _CLAIM_ZH_MORE),
        ("LST-12", "claim", 0.85, "claim_en", _CLAIM_EN),
        ("LST-12", "claim", 0.8, "claim_en_more", _CLAIM_EN_MORE),
        (
            "",
            "",
            0.75,
            "pinyin",
            "|".join(f"(?P<{g}>{_PINYIN[rule]})" for g, (rule, _k) in _PINYIN_RULES.items()),
        ),
    ]
]
_NEGATION_INSIDE = re.compile(r"\b(?:not|no|never|nothing|none|isn't|aren't)\b|n't\b")
_PAST = re.compile(r"以前|之前|曾经|过去|used\s+to|in\s+the\s+past|previously")
_QUESTION_AFTER = re.compile(r"\s?(?:吗|么|嘛|\?|？)")
# the payment goes through the platform after all: "本平台支持支付宝付款",
# "we accept PayPal through the platform's checkout"
# (or the platform's own money movements: "退款什么时候打我账户？", "放款打我卡上")
_PLATFORM_BEFORE = re.compile(r"平台|站内|官方|担保|handoff|退款|放款|提现|原路")
_PLATFORM_AFTER = re.compile(
    r"[^,.;!?，。；！？]{0,12}?\b(?:through|via|on|in|using|at)\s+(?:the\s+|our\s+)?(?:platform|escrow|checkout|site|handoff)"
    r"|[^,.;!?，。；！？]{0,10}?(?:收银台|平台内|站内|担保)"  # "支付宝付款请在收银台完成"
)


_CONTRAST = re.compile(r"\b(?:than|instead|rather|not)\b|而不是|不|别|绕|跳过|省|免")


def _through_platform(folded: str, m: re.Match) -> bool:
    text = m.group()
    if any(
        w in text for w in ("平台", "担保", "中介", "escrow", "platform", "site", "官方", "系统")
    ):
        return False  # the match itself is about avoiding the platform
    if _PLATFORM_BEFORE.search(clause_before(folded, m.start())):
        return True
    after = _PLATFORM_AFTER.match(folded, m.end())
    # "pay me in bitcoin rather than through checkout": the platform is the alternative
    return bool(after) and not _CONTRAST.search(after.group())


# five stars drawn as symbols (folded to spaces), then a reward:
# "rate us ⭐⭐⭐⭐⭐ and get 10% back"; read in the original text
_STARS = re.compile(r"(?:[★⭐🌟✩☆✰]\ufe0f?\s?){3,5}")
_STAR_REWARD = re.compile(
    r"[^.!?。！？\n]{0,30}?(?:\b(?:and|&|then|to\s+get|for\s+a|gets?\s+you)\s+(?:i'?ll|we'?ll|you'?ll\s+get|you\s+get|get|receive)?\b|=)"
    r"[^.!?。！？\n]{0,30}?(?:\b(?:refund|back|cash|discount|gift|bonus|free|money|fee|code|coupon|off)\b|\d+\s?%)"
    r"|[^。！？\n]{0,12}?(?:返现|返\s?\d|返钱|红包|退你|送你|补偿)"
)


def find_star_bait(text: str, folded: str):
    """Yield ``(rule_code, kind, confidence, start, end)`` for star ratings asked
    for with a reward."""
    if "★" not in text and "⭐" not in text and "🌟" not in text and "☆" not in text:
        return
    for m in _STARS.finditer(text):
        reward = _STAR_REWARD.match(folded, m.end())
        if reward and not negated(folded, m.start(), m.end()):
            yield "BEH-01", "bait", 0.8, m.start(), reward.end()


def find_phrases(folded: str):
    """Yield ``(rule_code, kind, confidence, start, end)`` for phrase matches
    that are not negated in their clause."""
    present = keys_in(folded)
    for rule, kind, confidence, gate, regex in _SCANNERS:
        if present.isdisjoint(gate.keys):
            continue
        for m in regex.finditer(folded):
            start, end = m.start(), m.end()
            if negated(folded, start, end):
                continue
            # the pinyin scanner names its rule by the group that matched
            code, what = (rule, kind) if rule else _PINYIN_RULES[m.lastgroup]
            if (
                "reward" in regex.groupindex
                and m.start("reward") >= 0
                and negated(folded, m.start("reward"), end)
            ):
                continue  # "评价全是真实买家，没有返现"
            if code == "BEH-09" and what == "off_platform" and _through_platform(folded, m):
                continue
            if code == "BEH-01" and _PAST.search(clause_before(folded, start)):
                continue  # "以前做过互推": the account's history, not an ask
            if code == "LST-12" and _QUESTION_AFTER.match(folded, end):
                continue  # "这个号不会封号吗？" asks, it does not claim
            if code == "LST-12" and m.group().endswith("guaranteed"):
                # "income is not guaranteed": the negation sits inside the match
                if _NEGATION_INSIDE.search(m.group()):
                    continue
            yield code, what, confidence, start, end
