"""allauth's account adapter: the site's own answers where allauth asks."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import PermissionDenied

from marketplace.http import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        """The one client address (``marketplace.http.client_ip``) for allauth's
        rate limits and sessions, so they count clients behind the proxy apart.
        allauth's own reading raises ImproperlyConfigured (a 500) on a short
        ``X-Forwarded-For``; this one falls back to ``REMOTE_ADDR``."""
        ip = client_ip(request)
        if ip is None:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def post_login(self, request, user, **kwargs):
        """A user who signs in on a browser with no language chosen gets the
        language stored on their account (``accounts.signals``: the sign-in
        stores the browser's choice when there is one)."""
        response = super().post_login(request, user, **kwargs)
        language = getattr(user, "language", "")
        if language and not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
