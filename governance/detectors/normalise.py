"""Index-preserving normalisation: every table maps one code point to one
character, so a span found in the normalised text is a span of the original.

``fold`` (``FOLD``), each step for a family of disguises:

- compatibility forms to ASCII, from Unicode's own data (NFKC): full-width,
  circled / parenthesised / squared / mathematical / superscript letters and
  digits (Ａ ⓐ ⒜ 🅰 𝐚 ᵃ ① ⑴ 𝟏), and every other script's decimal digits (٣, ३);
  letters to lower case;
- look-alike letters from Cyrillic and Greek (``ԝеϲһаt``, ``νх``) to Latin;
- traditional forms of the characters cue words are made of (號 碼 電話 聯繫
  帳號 …) to simplified, so one cue list serves both;
- emoji and decorative symbols (😊 ● ★ ✨ → ⭐) to spaces: people put them
  between digits and inside cue words ("1😊3😊8", "微✨信"). Symbols that are
  themselves cues stay (❤ ♥ 🐧 ➕ ✈ ☎ 📞 📱 ✉ 📧);
- zero-width characters, variation selectors and the keycap mark to spaces.

``digits`` (``DIGITS``) does the same and also reads Chinese numerals (一二三,
壹贰叁, 幺 洞 拐 勾) as digits — only for finding numbers, never for phrases
("一键三连" must stay words). What one code point cannot spell (⑬ is two
digits; "five" is one) is read by ``contacts.find_spelled_numbers``.
"""

from __future__ import annotations

import re
import unicodedata

#: symbols that name a channel or an action and so must survive folding
KEEP_SYMBOLS = "❤♥♡🐧➕✈☎☏📞📱📲✉📧📨📩💌🔗"

_LOOKALIKES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "һ": "h", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ⅼ": "l",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c",
}  # fmt: skip

_TRADITIONAL = {
    "號": "号", "碼": "码", "電": "电", "話": "话", "機": "机", "聯": "联", "繫": "系",
    "絡": "络", "帳": "账", "賬": "账", "戶": "户", "訊": "讯", "郵": "邮", "發": "发",
    "給": "给", "轉": "转", "錢": "钱", "銀": "银", "寶": "宝", "線": "线", "點": "点",
    "維": "维", "衛": "卫", "掃": "扫", "請": "请", "別": "别", "騙": "骗", "險": "险",
    "證": "证", "讚": "赞", "關": "关", "評": "评", "論": "论", "獎": "奖", "熱": "热",
    "門": "门", "鵝": "鹅", "飛": "飞", "報": "报", "詳": "详",
    "談": "谈", "單": "单", "贈": "赠", "禮": "礼", "盡": "尽", "與": "与", "買": "买",
    "賣": "卖", "價": "价", "個": "个", "頁": "页", "頭": "头", "簡": "简", "達": "达",
    "紅": "红", "賴": "赖", "書": "书", "贊": "赞", "擊": "击", "雙": "双", "萬": "万", "億": "亿",
    "數": "数", "無": "无", "風": "风", "穩": "稳", "賺": "赚", "絕": "绝",
    "對": "对", "會": "会", "漲": "涨", "長": "长",
    "識": "识", "進": "进", "羣": "群", "裡": "里", "應": "应", "該": "该", "讓": "让",
}  # fmt: skip

# the other characters of phrase and cue words (汇款给我 ← 匯款給我, 没 ← 沒,
# 后面 ← 後面): a Traditional text reads like a Simplified one
_TRADITIONAL_PHRASES = {
    "絲": "丝", "兩": "两", "嚴": "严", "為": "为", "樂": "乐", "虧": "亏", "從": "从", "眾": "众", "偽": "伪",
    "傭": "佣", "們": "们", "優": "优", "償": "偿", "內": "内", "寫": "写", "決": "决", "況": "况", "幾": "几",
    "則": "则", "動": "动", "勸": "劝", "區": "区", "變": "变", "臺": "台", "後": "后", "嗎": "吗", "員": "员",
    "問": "问", "團": "团", "圖": "图", "場": "场", "壞": "坏", "塊": "块", "復": "复", "複": "复", "實": "实",
    "審": "审", "將": "将", "導": "导", "層": "层", "歲": "岁", "幣": "币", "幫": "帮", "廣": "广", "庫": "库",
    "開": "开", "張": "张", "當": "当", "錄": "录", "總": "总", "態": "态", "擔": "担", "護": "护", "撥": "拨",
    "擁": "拥", "掛": "挂", "掙": "挣", "換": "换", "據": "据", "攝": "摄", "時": "时", "顯": "显", "曬": "晒",
    "殺": "杀", "權": "权", "條": "条", "來": "来", "標": "标", "樓": "楼", "歡": "欢", "畢": "毕", "氣": "气",
    "匯": "汇", "彙": "汇", "溝": "沟", "沒": "没", "註": "注", "潤": "润", "滿": "满", "現": "现", "畫": "画",
    "盤": "盘", "確": "确", "種": "种", "積": "积", "稱": "称", "簽": "签", "級": "级", "紙": "纸", "細": "细",
    "經": "经", "結": "结", "繞": "绕", "統": "统", "續": "续", "綠": "绿", "編": "编", "網": "网", "膚": "肤",
    "脅": "胁", "藝": "艺", "節": "节", "營": "营", "藥": "药", "虛": "虚", "補": "补", "規": "规", "視": "视",
    "覽": "览", "覺": "觉", "訂": "订", "認": "认", "記": "记", "許": "许", "詐": "诈", "訴": "诉", "說": "说",
    "諾": "诺", "讀": "读", "謹": "谨", "貨": "货", "貼": "贴", "費": "费", "資": "资", "賠": "赔", "軟": "软",
    "過": "过", "運": "运", "這": "这", "遠": "远", "違": "违", "連": "连", "遞": "递", "鐘": "钟", "鋪": "铺",
    "銷": "销", "鍵": "键", "閒": "闲", "閑": "闲", "間": "间", "閱": "阅", "順": "顺", "領": "领", "頻": "频",
    "題": "题", "魚": "鱼", "還": "还", "麼": "么", "麽": "么", "處": "处", "備": "备", "須": "须", "誤": "误",
    "誠": "诚", "誰": "谁", "遷": "迁", "馬": "马", "衝": "冲", "圓": "圆", "憑": "凭", "裏": "里", "係": "系",
    "髮": "发", "兒": "儿", "傳": "传", "選": "选", "圍": "围", "離": "离", "隊": "队", "歷": "历", "親": "亲",
    "聽": "听", "車": "车", "東": "东", "邊": "边", "於": "于", "亞": "亚", "專": "专",
}  # fmt: skip

# blocks of emoji and decorative symbols; letters and digits inside them
# (❶, 🅰) are mapped first and kept. Arrows stay: "粉丝 138 → 1500 → 2000" is a
# series, not one number
_SYMBOL_BLOCKS = (
    (0x2300, 0x23FF),  # miscellaneous technical
    (0x2500, 0x25FF),  # box drawing, blocks, geometric shapes (● ■ ◆)
    (0x2600, 0x27BF),  # miscellaneous symbols, dingbats (★ ☀ ✨ ✿)
    (0x2B00, 0x2BFF),  # symbols and arrows (⭐ ⬛)
    (0x1F300, 0x1FAFF),  # emoji
)
_BULLETS = "•‧∙⋅・･"


def _build() -> tuple[dict[int, str], dict[int, str]]:
    fold: dict[int, str] = {}
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII, punctuation included
        fold[code] = chr(code - 0xFEE0).lower()
    for code in range(ord("A"), ord("Z") + 1):
        fold[code] = chr(code).lower()
    for start, end in (
        (0x00A0, 0x33FF),
        (0xFB00, 0xFFEF),
        (0x1D400, 0x1D7FF),
        (0x1F100, 0x1F1FF),
    ):
        for code in range(start, end + 1):
            if code in fold:
                continue
            ch = chr(code)
            value = unicodedata.digit(ch, None)
            if value is not None:
                fold[code] = str(value)
                continue
            nfkc = unicodedata.normalize("NFKC", ch)
            if len(nfkc) == 1 and nfkc.isascii() and (nfkc.isalnum() or nfkc in "@."):
                fold[code] = nfkc.lower()
    for start in (0x1F130, 0x1F150, 0x1F170, 0x1F1E6):  # 🄰 🅐 🅰 and regional indicators
        for i in range(26):
            fold[start + i] = chr(ord("a") + i)
    for offset in range(9):  # ❶-❾, ➀-➈, ➊-➒ (NFKC keeps the dingbats)
        for start in (0x2776, 0x2780, 0x278A):
            fold[start + offset] = str(offset + 1)
    for code in (0x24EA, 0x24FF, 0x1F10B, 0x1F10C):  # ⓪ ⓿ and dingbat zeros
        fold[code] = "0"
    for ch, latin in {**_LOOKALIKES, **{k.upper(): v for k, v in _LOOKALIKES.items()}}.items():
        if len(ch) == 1 and ch.isalpha():
            fold[ord(ch)] = latin
    for ch, simple in {**_TRADITIONAL_PHRASES, **_TRADITIONAL}.items():
        fold[ord(ch)] = simple
    for start, end in _SYMBOL_BLOCKS:
        for code in range(start, end + 1):
            if code not in fold and chr(code) not in KEEP_SYMBOLS:
                fold[code] = " "
    for ch in _BULLETS:
        fold[ord(ch)] = "·"
    fold[0x3000] = " "  # ideographic space
    # zero-width characters, variation selectors and the keycap mark ("1️⃣")
    for code in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00A0, 0xFE0F, 0xFE0E, 0x20E3):
        fold[code] = " "
    for ch in "＠﹫":
        fold[ord(ch)] = "@"
    for ch in "。｡":  # a full stop inside an address is a dot
        fold[ord(ch)] = "."
    fold[ord("（")] = "("
    fold[ord("）")] = ")"
    fold[ord("−")] = "-"

    digits = dict(fold)
    chinese = {
        "零〇洞": "0",
        "一壹幺": "1",
        "二贰貳": "2",
        "三叁參": "3",
        "四肆": "4",
        "五伍": "5",
        "六陆陸": "6",
        "七柒拐": "7",
        "八捌": "8",
        "九玖勾": "9",
    }
    for chars, digit in chinese.items():
        for ch in chars:
            digits[ord(ch)] = digit
    return fold, digits


FOLD, DIGITS = _build()
#: the characters only ``DIGITS`` maps: without them the two views are equal
_NUMERALS = re.compile(
    "[" + "".join(sorted(chr(c) for c in DIGITS if DIGITS[c] != FOLD.get(c))) + "]"
)


def fold(text: str) -> str:
    return text.translate(FOLD)


def digits(text: str) -> str:
    return text.translate(DIGITS)


def views(text: str) -> tuple[str, str]:
    """``(fold(text), digits(text))``; the second translation is skipped when
    the text has no Chinese numeral (a character-class scan costs less)."""
    folded = text.translate(FOLD)
    return folded, (text.translate(DIGITS) if _NUMERALS.search(folded) else folded)
