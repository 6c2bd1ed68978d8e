from django.conf import settings


def site(request):
    """Values every template may use."""
    return {
        "SITE_NAME": "Handoff",
        "SETTLEMENT_CURRENCY": settings.SETTLEMENT_CURRENCY,
    }
