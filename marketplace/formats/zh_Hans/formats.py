"""Chinese number formats: Django's, but numbers grouped in thousands with commas,
as Chinese marketplaces print them ("86,000", not "86000" or "8,6000"); large
counts on cards use 万/亿 instead (``kernel.money.compact_number``)."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403 - extend Django's formats

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
