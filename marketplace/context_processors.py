from django.conf import settings


def site(request):
    """Values every template may use."""
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "SETTLEMENT_CURRENCY": settings.SETTLEMENT_CURRENCY,
    }
