"""allauth's account adapter: the site's own answers where allauth asks."""

from __future__ import annotations

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.core.exceptions import PermissionDenied

from kernel import crypto
from kernel.http import client_ip, set_language_cookie

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        """The one client address (``kernel.http.client_ip``) for allauth's
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
            set_language_cookie(response, language)
        return response

    def send_mail(self, template_prefix: str, email, context: dict) -> None:
        """allauth's messages (sign-up confirmation, password reset, sign-in
        codes …) are sent at once, as the person is waiting for them; when the mail
        server fails they go into the outbox (``accounts.outbox``) and are retried
        there, instead of failing the request with a 500."""
        from allauth.core import context as allauth_context
        from django.contrib.sites.shortcuts import get_current_site

        from .outbox import queue_email

        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        try:
            message.send()
        except Exception:  # noqa: BLE001 - the outbox retries; the request goes on
            logger.exception("mail server failed for %s; queued in the outbox", template_prefix)
            for address in message.to:
                queue_email(to=address, subject=message.subject, body=message.body)


class MFAAdapter(DefaultMFAAdapter):
    """allauth's second factors with their secrets — the TOTP key, the recovery
    codes' seed — encrypted at rest with the site's field keys (kernel.crypto),
    like every other credential: a copy of the database opens no one's second
    factor. ``manage.py rotate_keys`` re-encrypts them with the newest key."""

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)
