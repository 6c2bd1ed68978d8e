"""Where the money should go (rule ``BEH-09``), read from its shape: a payment
app followed by the identifier to pay ("PayNow to 8123 4567", "收款用我的支付宝
a@126.com", "Zelle it to 646 555 0187"), a crypto wallet address, a bank
account (IBAN, a UK sort code with its account, a US routing number). Bank card
numbers are read in ``numbers``. Each is masked like a contact detail; an
identifier that is a phone number or an e-mail is also a contact detail
(``BEH-08``). Spans index the original text.
"""

from __future__ import annotations

import re

from .contacts.guards import _COUNT_AFTER, _order_like
from .contacts.shapes import _is_own
from .context import clause_before, gate, negated

# payment apps and wallets people are paid through, in several countries
_PAY_APP = (
    r"(?:支付宝|zfb|微信收款|微信支付|微信转账|云闪付|转数快|"
    r"(?<![a-z])(?:alipay|pay\s?pal|zelle|venmo|cash\s?app|revolut|wise|paynow|paylah|payme|fps|"
    r"touch\s?'?n\s?'?go(?:\s+e-?wallet)?|tng|e-?wallet|gcash|line\s?pay|kakao\s?pay|wechat\s?pay|"
    r"interac(?:\s+e-?transfer)?|e-?transfer|skrill|payoneer|upi|paytm|mpesa|m-pesa)(?![a-z]))"
)
_PAY_GATE = gate(
    tuple(
        k.replace("_", " ")
        for k in "支付宝 zfb 微信收款 微信支付 微信转账 云闪付 转数快 alipay paypal pay_pal zelle venmo cash_app cashapp "
        "wise revolut paynow paylah payme fps touch tng wallet gcash line_pay linepay kakao wechat_pay wechatpay "
        "interac transfer skrill payoneer upi paytm mpesa m-pesa".split()
    )
)
_EMAIL_ID = r"[a-z0-9._%+-]{2,64}\s?@\s?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,10}"
_PHONE_ID = r"\+?\(?\d(?:[ \-.()]{0,2}\d){6,14}"
_TAG_ID = r"[@$][a-z][a-z0-9_\-.]{2,29}"
_PAY_APP_RX = re.compile(_PAY_APP)
# the platform's own money movements: "提现到我的支付宝 …", "refund to my PayPal …"
_PLATFORM_MONEY = re.compile(r"提现|退款|放款|原路|平台|站内|withdraw|payout|refund|handoff|escrow")
# the identifier after the app, tried only where an app was named
_PAY_ID = re.compile(
    rf"[^。！？!?\n]{{0,32}}?(?<![\w@$.+])(?:(?P<email>{_EMAIL_ID})|(?P<phone>{_PHONE_ID})|(?P<tag>{_TAG_ID}))"
    r"(?![\w@])"
)

# crypto wallets: TRON (USDT-TRC20), Bitcoin bech32, Ethereum; a legacy Bitcoin
# address only with a crypto word near it (its shape alone is too loose)
_WALLET = re.compile(
    r"(?<![A-Za-z0-9])(?:T[1-9A-HJ-NP-Za-km-z]{33}|bc1[ac-hj-np-z02-9]{25,62}|0x[0-9a-fA-F]{40})(?![A-Za-z0-9])"
)
_LEGACY_BTC = re.compile(r"(?<![A-Za-z0-9])[13][1-9A-HJ-NP-Za-km-z]{25,34}(?![A-Za-z0-9])")
_CRYPTO_NEAR = re.compile(r"btc|bitcoin|比特币|wallet|钱包|address|地址|usdt|crypto")
# a wallet is posted with a crypto word or in its own prefix ("0x", "bc1")
_WALLET_GATE = gate(
    tuple(
        "0x bc1 usdt trc erc bep btc eth bitcoin 比特币 以太坊 泰达币 钱包 地址 address addy wallet crypto coin 币".split()
    )
)

# bank accounts: an IBAN (country, check digits, groups), a UK sort code and the
# account after it, a US routing number
_IBAN_COUNTRIES = frozenset(
    "ad ae al at az ba be bg bh br ch cr cy cz de dk do ee es fi fo fr gb ge gi gl gr gt hr hu ie il is it "
    "jo kw kz lb li lt lu lv mc md me mk mr mt mu nl no pk pl ps pt qa ro rs sa se si sk sm tn tr vg".split()
)
_BANK = re.compile(
    r"(?<![a-z0-9])(?P<iban>[a-z]{2}\d{2}(?:\s?[a-z0-9]{4}){3,7}(?:\s?[a-z0-9]{1,3})?)(?![a-z0-9])"
    r"|(?P<sort>sort\s?code[^\d\n]{0,4}\d{2}[\-\s]?\d{2}[\-\s]?\d{2}(?:[^\d\n]{0,24}?\d{8}(?!\d))?)"
    r"|(?P<routing>(?:routing|aba)\s*(?:number|no\.?|#)?\s*[:：]?\s*\d{9}(?!\d))"
)
_BANK_GATE = gate(("iban", "sort code", "sortcode", "routing", "aba"))
_IBAN_SHAPE = re.compile(r"(?<![a-z0-9])[a-z]{2}\d{2}\s?[a-z0-9]{4}\s?\d{4}")


def find_payments(text: str, folded: str, digits: str, count: int):
    """Yield ``(rule, kind, confidence, start, end)``: ``BEH-09`` for where the
    money should go; ``BEH-08`` for a phone number or an e-mail given as a
    payment identifier. ``count`` is the number of digits in ``digits``."""
    if (count >= 7 or "@" in folded or "$" in folded) and _PAY_GATE.search(folded):
        for app in _PAY_APP_RX.finditer(digits):
            m = _PAY_ID.match(digits, app.end())
            if m is None:
                continue
            ident = m.lastgroup
            start = m.start(ident)
            if ident == "email" and _is_own(m.group(ident)):
                continue
            if ident == "phone" and (
                _order_like(digits, start) or _COUNT_AFTER.match(digits, m.end())
            ):
                continue  # "Wise … 12,345,678 views": a count
            if negated(folded, app.start(), m.end()) or _PLATFORM_MONEY.search(
                clause_before(folded, app.start())
            ):
                continue
            yield "BEH-09", "pay_to", 0.85, app.start(), m.end()
            if ident in ("email", "phone"):
                yield "BEH-08", "phone" if ident == "phone" else "email", 0.85, start, m.end()
    if _WALLET_GATE.search(folded):
        for m in _WALLET.finditer(text):
            yield "BEH-09", "wallet", 0.9, m.start(), m.end()
        for m in _LEGACY_BTC.finditer(text):
            if _CRYPTO_NEAR.search(folded, max(0, m.start() - 30), m.end() + 30):
                yield "BEH-09", "wallet", 0.85, m.start(), m.end()
    if count >= 6 and (_BANK_GATE.search(folded) or (count >= 12 and _IBAN_SHAPE.search(folded))):
        for m in _BANK.finditer(folded):
            if m.lastgroup == "iban":
                iban = m.group("iban").replace(" ", "")
                if iban[:2] not in _IBAN_COUNTRIES or sum(c.isdigit() for c in iban) < 10:
                    continue
            yield "BEH-09", "bank_account", 0.9, m.start(), m.end()
