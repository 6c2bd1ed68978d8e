"""Card checks of Stripe's test mode, for the simulated gateway (and the card form,
which makes them before anything is sent, as Stripe's own form does).

Stripe refuses, before asking the card network: a number that fails its checksum
(``incorrect_number``), an expiry month or year that is not one
(``invalid_expiry_month`` / ``invalid_expiry_year``), a card past its expiry month
(``expired_card``) and a security code that is not 3–4 digits (``invalid_cvc``).
Its test numbers then decline at the network by their last four digits
(``DECLINING_CARDS``). Messages and the field each belongs to are in
``escrow.exceptions.CARD_ERRORS``.
"""

from __future__ import annotations

from datetime import datetime

TEST_CARDS_HELP = {
    "4242424242424242": "succeeds",
    "4000000000000002": "declined",
    "4000000000009995": "insufficient funds",
    "4000002500003155": "requires authentication",
    "4000000000000069": "expired card",
    "4000000000000127": "incorrect CVC",
}

#: Stripe's test numbers that fail at the card network (by their last four digits,
#: as Stripe's own ``…0002`` family): the error code Stripe answers with.
DECLINING_CARDS = {
    "0002": "card_declined",
    "9995": "insufficient_funds",
    "9987": "card_declined",  # lost card (decline_code lost_card)
    "9979": "card_declined",  # stolen card
    "0019": "card_declined",  # 4100 0000 0000 0019: blocked as fraudulent
    "0069": "expired_card",
    "0127": "incorrect_cvc",
    "0119": "processing_error",
}


def card_error(card: dict, now: datetime) -> str:
    """The error code Stripe's test mode gives this card before the network is
    asked (number, expiry, security code), or ``""``. ``card`` holds ``number``,
    ``exp`` (``MM/YY``) or ``exp_month``/``exp_year``, and ``cvc``."""
    number = card_digits(card)
    if not 12 <= len(number) <= 19 or not luhn_ok(number):
        return "incorrect_number"
    month, year = _expiry(card)
    if month is None or not 1 <= month <= 12:
        return "invalid_expiry_month"
    if year is None or year > now.year + 50:
        return "invalid_expiry_year"
    if (year, month) < (now.year, now.month):
        return "expired_card"  # valid through the end of its month
    cvc = str(card.get("cvc", "")).strip()
    if not (cvc.isascii() and cvc.isdigit() and len(cvc) in (3, 4)):
        return "invalid_cvc"
    return ""


def card_digits(card: dict) -> str:
    return "".join(ch for ch in str(card.get("number", "")) if ch.isascii() and ch.isdigit())


def luhn_ok(number: str) -> bool:
    checksum = 0
    for i, d in enumerate(int(ch) for ch in reversed(number)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        checksum += d
    return checksum % 10 == 0


def _expiry(card: dict) -> tuple[int | None, int | None]:
    try:
        if card.get("exp"):
            month_text, year_text = str(card["exp"]).split("/", 1)
            month, year = int(month_text.strip()), int(year_text.strip())
        else:
            month, year = int(card.get("exp_month")), int(card.get("exp_year"))
    except (TypeError, ValueError):
        return None, None
    return month, (2000 + year if 0 <= year < 100 else year)
