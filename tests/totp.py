"""TOTP codes for tests that log in through allauth's MFA step.

The test moderators share one secret. A code computed near the end of its 30-second
window can expire before the form is submitted, and allauth refuses a code the same
user has already used (a cache entry per user and code). ``fresh_totp_code`` waits
until at least ``margin`` seconds remain in the current window, and never returns a
(user, code) pair that was handed out before or that allauth already marked as used
(the cache is shared with the live server, so this also holds across xdist workers,
whose user ids may coincide): it waits for the next window instead."""

from __future__ import annotations

import time

from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.auth import get_user_model
from django.core.cache import cache

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
MARGIN_SECONDS = 5.0

_handed_out: set[tuple[object, str]] = set()


def _used_by_allauth(user_id, code: str) -> bool:
    if user_id is None:
        return False
    try:
        return cache.get(f"allauth.mfa.totp.used?user={user_id}&code={code}") is not None
    except Exception:  # noqa: BLE001 - a cache that is down only loses this check
        return False


def fresh_totp_code(user=None, *, secret: str = TOTP_SECRET, margin: float = MARGIN_SECONDS):
    """A code valid for at least ``margin`` more seconds, not used before by ``user``
    (a user, a pk or an e-mail address; ``None`` only applies the margin)."""
    period = app_settings.TOTP_PERIOD
    user_id = getattr(user, "pk", user)
    if isinstance(user_id, str) and "@" in user_id:  # an e-mail address
        user_id = get_user_model().objects.get(email__iexact=user_id).pk
    while True:
        now = time.time()
        remaining = period - (now % period)
        if remaining >= margin:
            code = format_hotp_value(hotp_value(secret, int(now) // period))
            key = (user_id, code)
            if user_id is None or (key not in _handed_out and not _used_by_allauth(user_id, code)):
                _handed_out.add(key)
                return code
        time.sleep(remaining + 0.05)  # the next window


def force_login_with_second_factor(client, user) -> None:
    """``client.force_login(user)`` plus what allauth records when the TOTP step
    passes, so the session counts as an acting moderator's
    (``accounts.permissions.is_acting_moderator``). Tests of the real sign-in flow
    post the code instead."""
    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY

    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "email": user.email},
        {"method": "mfa", "at": time.time(), "type": "totp"},
    ]
    # allauth ties the records to the user they were made for.
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
