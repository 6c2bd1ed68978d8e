"""The pages people expect from a marketplace: terms (the rules catalogue as the
platform's rules), privacy, how escrow works, contact; robots.txt.

Figures on the pages (fees, deadlines, retention) are read from the settings, so
the text stays true when an operator changes them.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from governance.selectors import rules_in_force_by_category


def _figures() -> dict:
    """The settings the pages quote, ready to show."""
    bps = settings.PLATFORM_FEE_BPS
    return {
        "fee_percent": f"{bps // 100}.{bps % 100:02d}".rstrip("0").rstrip("."),
        "fee_minimum": settings.PLATFORM_FEE_MIN,
        "payment_window_minutes": int(settings.PAYMENT_WINDOW.total_seconds() // 60),
        "delivery_seconds": int(settings.DELIVERY_DEADLINE.total_seconds()),
        "inspection_seconds": int(settings.INSPECTION_PERIOD.total_seconds()),
        "protection_days": settings.PROTECTION_WINDOW.days,
        "dispute_seconds": int(settings.DISPUTE_RESPONSE_PERIOD.total_seconds()),
        "max_unpaid": settings.MAX_UNPAID_DEALS,
        "document_days": settings.IDENTITY_DOCUMENT_RETENTION_DAYS,
        "credential_days": settings.CREDENTIAL_RETENTION_DAYS,
        "contact_email": settings.CONTACT_EMAIL,
    }


@require_GET
def terms(request):
    return render(
        request,
        "pages/terms.html",
        {**_figures(), "categories": rules_in_force_by_category()},
    )


@require_GET
def privacy(request):
    return render(request, "pages/privacy.html", _figures())


@require_GET
def how_it_works(request):
    return render(request, "pages/how_it_works.html", _figures())


@require_GET
def contact(request):
    return render(request, "pages/contact.html", _figures())


# Private pages have nothing for a search engine (and need a login anyway).
DISALLOWED = (
    "/admin/",
    "/accounts/",
    "/me/",
    "/verify/",
    "/sell/",
    "/deals/",
    "/payouts/",
    "/standing/",
    "/reports/",
    "/report/",
    "/appeals/",
    "/webhooks/",
    "/i18n/",
    "/media/private/",
)


@require_GET
@cache_control(max_age=3600, public=True)
def robots_txt(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), "Allow: /"]
    lines.append(f"Sitemap: {settings.SITE_URL}{reverse('sitemap')}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
