"""allauth's account adapter: the site's own answers where allauth asks."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
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
