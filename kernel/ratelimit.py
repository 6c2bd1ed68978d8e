"""Site rate limits for actions allauth does not cover (reports, messages,
verification submissions, checkout …). Login, sign-up and password reset are
limited by allauth itself (ACCOUNT_RATE_LIMITS).

Fixed windows counted in the shared cache (Redis in production), keyed by user
(or, for anonymous requests, the client's address as ``kernel.http`` reads
it behind ``TRUSTED_PROXY_COUNT`` proxies). A limited request gets the 429 page.
"""

from __future__ import annotations

import hashlib
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

from .http import client_bucket

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/h' → (10, 3600); '5/15m' → (5, 900)."""
    count, _, period = rate.partition("/")
    unit = period[-1]
    multiple = int(period[:-1] or 1)
    return int(count), multiple * _UNITS[unit]


def _client_key(request) -> str:
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        return f"u{request.user.pk}"
    return "ip" + hashlib.sha256(client_bucket(request).encode()).hexdigest()[:16]


def consume(request, action: str) -> bool:
    """Count one use of ``action``; False when the caller is over the limit."""
    if not settings.ACCOUNT_RATE_LIMITS_ENABLED:
        return True
    rate = settings.SITE_RATE_LIMITS.get(action)
    if not rate:
        return True
    limit, period = parse_rate(rate)
    window = int(time.time() // period)
    key = f"rl:{action}:{_client_key(request)}:{window}"
    cache.add(key, 0, period + 5)
    try:
        used = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, period + 5)
        used = 1
    return used <= limit


def too_many_requests(request):
    return render(request, "429.html", status=429)


def rate_limit(action: str, methods: tuple[str, ...] = ("POST",)):
    """View decorator: count requests with these methods against ``action``."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods and not consume(request, action):
                return too_many_requests(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
