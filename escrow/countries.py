"""Countries a seller's payout account may be in (ISO 3166-1 alpha-2)."""

from django.utils.translation import gettext_lazy as _

from accounts.countries import COUNTRIES

#: Countries a payout account may be in: the markets Handoff serves (the
#: verification form's list) plus every country the payment gateways can pay.
PAYOUT_COUNTRIES = sorted(
    {
        **dict(COUNTRIES),
        "AT": _("Austria"),
        "BE": _("Belgium"),
        "CZ": _("Czechia"),
        "DK": _("Denmark"),
        "FI": _("Finland"),
        "NO": _("Norway"),
        "PT": _("Portugal"),
    }.items()
)
