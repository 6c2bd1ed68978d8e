"""Issuing countries offered on the verification form (ISO 3166-1 alpha-2).

A short list of the markets Handoff serves; extend it here (and in the zh_Hans
catalogue) when a new market opens.
"""

from django.utils.translation import gettext_lazy as _

COUNTRIES = [
    ("CN", _("China (mainland)")),
    ("HK", _("Hong Kong SAR, China")),
    ("MO", _("Macao SAR, China")),
    ("TW", _("Taiwan, China")),
    ("SG", _("Singapore")),
    ("MY", _("Malaysia")),
    ("TH", _("Thailand")),
    ("VN", _("Vietnam")),
    ("ID", _("Indonesia")),
    ("PH", _("Philippines")),
    ("JP", _("Japan")),
    ("KR", _("South Korea")),
    ("IN", _("India")),
    ("AE", _("United Arab Emirates")),
    ("TR", _("Türkiye")),
    ("RU", _("Russia")),
    ("UA", _("Ukraine")),
    ("PL", _("Poland")),
    ("DE", _("Germany")),
    ("FR", _("France")),
    ("ES", _("Spain")),
    ("IT", _("Italy")),
    ("NL", _("Netherlands")),
    ("SE", _("Sweden")),
    ("CH", _("Switzerland")),
    ("IE", _("Ireland")),
    ("GB", _("United Kingdom")),
    ("US", _("United States")),
    ("CA", _("Canada")),
    ("MX", _("Mexico")),
    ("BR", _("Brazil")),
    ("AR", _("Argentina")),
    ("AU", _("Australia")),
    ("NZ", _("New Zealand")),
    ("NG", _("Nigeria")),
    ("ZA", _("South Africa")),
    ("EG", _("Egypt")),
]
COUNTRY_NAMES = dict(COUNTRIES)
