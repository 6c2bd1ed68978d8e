from django import template

from marketplace.formatting import format_money

register = template.Library()


@register.filter
def money(amount, currency=None):
    """Minor units → "US$1,234.56" / "1,234.56 美元" (the active language)."""
    if amount in (None, ""):
        return ""
    return format_money(int(amount), currency or None)


@register.filter
def event_label(event) -> str:
    from escrow.events import label_for

    return label_for(event.kind)


@register.filter
def notification_text(note) -> str:
    from escrow.notifications import message_for

    return message_for(note, note.deal)
