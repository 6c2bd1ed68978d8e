"""Card checks of Stripe's test mode, for the simulated gateway (and the card form,
which makes them before anything is sent, as Stripe's own form does).

Stripe refuses, before asking the card network: a number that fails its checksum
(``incorrect_number``), an expiry month or year that is not one
(``invalid_expiry_month`` / ``invalid_expiry_year``), a card past its expiry month
(``expired_card``), a security code that is not 3–4 digits (``invalid_cvc``), and
any number that is not one of its test cards (a real card: ``test_mode_live_card``).
Its test numbers then decline at the network (``DECLINING_CARDS``) or ask for
authentication (``AUTHENTICATION_CARDS``); the rest of its ``4000 00…`` family and
the other brands' test numbers pay. Messages and the field each belongs to are in
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

#: Stripe's test numbers that fail at the card network: the error code Stripe
#: answers with.
DECLINING_CARDS = {
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
    "4000000000009987": "card_declined",  # lost card (decline_code lost_card)
    "4000000000009979": "card_declined",  # stolen card
    "4100000000000019": "card_declined",  # blocked as fraudulent
    "4000000000000069": "expired_card",
    "4000000000000127": "incorrect_cvc",
    "4000000000000119": "processing_error",
    "4000000000000101": "incorrect_cvc",  # the CVC check fails
    "4000000000000341": "card_declined",  # attaches, then the charge fails
}

#: Stripe's test numbers that pay, outside the ``4000 00…`` family below (Visa,
#: Mastercard, American Express, Discover, Diners, JCB, UnionPay …).
SUCCEEDING_CARDS = frozenset(
    {
        "4242424242424242",
        "4000056655665556",
        "5555555555554444",
        "2223003122003222",
        "5200828282828210",
        "5105105105105100",
        "378282246310005",
        "371449635398431",
        "6011111111111117",
        "6011000990139424",
        "6011981111111113",
        "3056930009020004",
        "36227206271667",
        "6555900000604105",
        "3566002020360505",
        "6200000000000005",
        "6200000000000047",
        "6205500000000000004",
    }
)
#: Stripe's test numbers that ask for an authentication step (3-D Secure).
AUTHENTICATION_CARDS = frozenset(
    {"4000002500003155", "4000002760003184", "4000000000003220", "4000000000003063"}
)


def is_test_card(number: str) -> bool:
    """Stripe's test mode takes only its test numbers: the list above and its
    ``4000 00…`` family (declines, countries, authentication). Any other number —
    a real card — is declined (``test_mode_live_card``)."""
    return (
        number in SUCCEEDING_CARDS
        or number in DECLINING_CARDS
        or (len(number) == 16 and number.startswith("400000"))
    )


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
    if not is_test_card(number):
        return "test_mode_live_card"
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
