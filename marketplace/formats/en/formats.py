"""English dates: Django's, but the short forms spelled out like the long ones
("Dec. 8, 2026"), not "12/08/2026", which a reader outside the US takes for
12 August (the seller's listings and the deals list used the short form while
the deal pages said "Dec. 8, 2026")."""

from django.conf.locale.en.formats import *  # noqa: F403 - extend Django's formats

SHORT_DATE_FORMAT = "N j, Y"
SHORT_DATETIME_FORMAT = "N j, Y, P"
