"""The client's address, the one way every part of the site reads it.

Behind ``TRUSTED_PROXY_COUNT`` reverse proxies (docs/deploy.md), ``REMOTE_ADDR`` is
the nearest proxy's address, and each proxy appends the address it received the
request from to ``X-Forwarded-For``. Only those last entries were written by our
proxies; anything to their left came from the client and can be forged, so the
address is read from the right, ``TRUSTED_PROXY_COUNT`` entries in. With no proxy
(the default, 0) the header is ignored entirely.

Used by the site's rate limiter (``kernel.ratelimit``), allauth's rate limits
and sessions (``accounts.adapter.AccountAdapter``) and whatever records an
address (credential views).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

#: An address longer than this is not one (the longest IPv6 text form with a zone
#: and port is well below it); such values are refused before they are parsed.
_MAX_ADDRESS = 64


def parse_address(value: str | None) -> str | None:
    """``value`` as a normalised IP address (``1.2.3.4``, ``2001:db8::1``), or None
    when it is not one. A port (``1.2.3.4:5678``, ``[2001:db8::1]:443``) is dropped;
    an IPv4 address mapped into IPv6 becomes the IPv4 address."""
    if not value:
        return None
    text = value.strip()
    if not text or len(text) > _MAX_ADDRESS:
        return None
    if text.startswith("["):  # [v6]:port or [v6]
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # v4:port (a v6 address has several colons)
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def client_ip(request) -> str | None:
    """The address of the client that made ``request``, or None when it cannot be
    told (then callers treat all such requests as one unknown client).

    With ``TRUSTED_PROXY_COUNT`` = N > 0: the N-th ``X-Forwarded-For`` entry from
    the right (the one the outermost trusted proxy wrote). A header with fewer
    entries did not come through every proxy, and a garbage entry is no address:
    both fall back to ``REMOTE_ADDR``, never to an entry the client could write."""
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = forwarded.split(",") if forwarded else []
        if len(hops) >= count:
            address = parse_address(hops[-count])
            if address is not None:
                return address
    return parse_address(request.META.get("REMOTE_ADDR"))


def client_bucket(request) -> str:
    """The rate-limit key for an anonymous client: its IPv4 address, or the /64
    network of an IPv6 address (one subscriber holds a whole /64, so keying on the
    full address would give them 2**64 buckets); ``unknown`` when there is none."""
    address = client_ip(request)
    if address is None:
        return "unknown"
    parsed = ipaddress.ip_address(address)
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return address


def set_language_cookie(response, language: str) -> None:
    """The language cookie as Django's ``set_language`` view writes it (its settings)."""
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


def get_by_pk_or_404(queryset, pk):
    """The row of ``queryset`` (a model or a queryset) with primary key ``pk``, or
    Http404 — also when ``pk`` is something the key's field cannot hold (text or
    a NUL in an integer id, as the admin's ``<path:object_id>`` lets through), so
    such a URL answers like an unknown id instead of a 500."""
    from django.core.exceptions import ValidationError
    from django.http import Http404
    from django.shortcuts import get_object_or_404

    try:
        return get_object_or_404(queryset, pk=pk)
    except (ValueError, TypeError, OverflowError, ValidationError):
        raise Http404 from None
