"""``{{ event.reason|system_text }}``: a text the system wrote, in the reader's
language (kernel.system_text); anything else as written."""

from django import template

from kernel import system_text as texts

register = template.Library()


@register.filter
def system_text(value):
    return texts.system_text(value)
