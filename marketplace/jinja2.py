"""The Jinja2 environment (Django's ``Jinja2`` backend, the engine named "jinja2").

Only the listing cards use it (``listings/jinja2/listings/cards.html``): a catalogue
page repeats the card fifty times, and Django's template engine spends about a
tenth of a millisecond per card resolving its variables and filters (see
docs/performance.md, "Listing cards in Jinja2"). Every other template is Django's.

The filters are the Django template filters of the same names, so a card's
formatting has one definition whichever engine renders it.
"""

from __future__ import annotations

from jinja2 import Environment

from governance.templatetags.governance_tags import masked
from listings.templatetags.listings_tags import (
    card_labels,
    compact,
    detail_url,
    money,
    platform_label,
    sales_text,
)


def environment(**options) -> Environment:
    env = Environment(**options)  # noqa: S701  # nosec B701 (the backend turns autoescape on)
    env.filters.update(
        {
            "compact": compact,
            "detail_url": detail_url,
            "masked": masked,
            "money": money,
            "platform_label": platform_label,
            "sales_text": sales_text,
        }
    )
    env.globals["card_labels"] = card_labels
    return env
