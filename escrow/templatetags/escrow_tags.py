from django import template

from kernel.money import format_money, money_markup, short_duration

register = template.Library()


@register.filter(needs_autoescape=True)
def money(amount, currency=None, autoescape=True):
    """Minor units → "US$1,234.56" / "1,234.56 美元" (the active language), kept on
    one line in HTML."""
    if amount in (None, ""):
        return ""
    return money_markup(format_money(int(amount), currency or None), autoescape)


@register.filter
def event_label(event) -> str:
    from escrow.events import label_for

    return label_for(event.kind)


@register.filter
def notification_text(note) -> str:
    from escrow.notifications import message_for

    return message_for(note, note.deal)


@register.simple_tag
def message_text(message, user) -> str:
    """What ``user`` sees of a chat message (the other party: contact details masked)."""
    return message.text_for(user)


@register.filter
def country_name(code) -> str:
    """A payout country's name in the reader's language ("US" → 美国)."""
    from escrow.countries import PAYOUT_COUNTRIES

    return str(dict(PAYOUT_COUNTRIES).get((code or "").upper(), code))


@register.filter
def duration_hours(seconds) -> str:
    """Seconds → a short "3 d 4 h" / "5 h" text, in the active language
    ("3天4小时" / "5小时")."""
    if seconds in (None, ""):
        return ""
    return short_duration(int(seconds))


@register.inclusion_tag("escrow/_seller_reviews.html")
def seller_reviews(seller, limit: int = 3):
    """The latest reviews of ``seller`` (the listing page's escrow box)."""
    from escrow.selectors import reviews_of_seller

    return {"seller": seller, "reviews": list(reviews_of_seller(seller.pk, limit, with_deal=False))}
