"""Response headers that depend on who asked.

``PrivateResponseMiddleware`` sits near the top of ``MIDDLEWARE`` so that on the
way out it sees every cookie the inner middleware set (sessions, messages, CSRF,
language) and the user the authentication middleware attached.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.cache import patch_cache_control


class PrivateResponseMiddleware:
    """1. A response to a signed-in user shows their data (their deals, payouts,
    name in the header …): ``Cache-Control: private, no-store``, so neither a
    shared proxy nor the browser's cache keeps it (the back button after signing
    out, a shared computer). A response that already says ``public`` was made
    cacheable on purpose and is left alone. The same for an anonymous page with
    a form (it carries the visitor's CSRF token).

    2. Under HTTPS-only settings (``SESSION_COOKIE_SECURE``) every cookie carries
    ``Secure``, including the ones Django writes to delete a cookie
    (``delete_cookie`` omits it: the ``messages`` cookie, the session cookie on
    sign-out …)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (_signed_in(request) or _per_visitor(response)) and not _says_public(response):
            patch_cache_control(response, private=True, no_store=True)
        if settings.SESSION_COOKIE_SECURE:
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response


def _signed_in(request) -> bool:
    # Only a request with a session cookie can be signed in: checking it first
    # spares anonymous requests the session look-up (and its ``Vary: Cookie``).
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def _per_visitor(response) -> bool:
    """A page with a form carries this visitor's CSRF token (the middleware sets
    its cookie along): sign-in, sign-up, password reset, an e-mail confirmation
    that shows the address. The anonymous catalogue has no form token and stays
    cacheable."""
    return settings.CSRF_COOKIE_NAME in response.cookies


def _says_public(response) -> bool:
    header = response.get("Cache-Control", "")
    return "public" in {part.strip().split("=")[0].lower() for part in header.split(",")}


#: Every page of the site is read with GET (HEAD) and changed with POST.
ALLOWED_METHODS = ("GET", "HEAD", "POST")


class MethodMiddleware:
    """A request with a method no page of this site is made for (PUT, PATCH,
    DELETE, OPTIONS, TRACE, anything invented) is answered 405 before any view
    runs. Function views answer every method as GET — a private document view
    served (and logged as viewed) a PUT, a DELETE and a TRACE — and OPTIONS and
    TRACE skip the CSRF check, so a view that treats "not GET" as a submission
    would write on them.

    On the way out, an empty 405 (``require_POST`` and friends write no body)
    becomes the error page in the visitor's language, keeping its ``Allow``.

    Sits after the authentication and message middleware: the page's header
    shows who is signed in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ALLOWED_METHODS:
            return method_not_allowed(request, ALLOWED_METHODS)
        response = self.get_response(request)
        if response.status_code == 405 and not response.streaming and not response.content:
            return method_not_allowed(request, response.get("Allow", "").split(", "), response)
        return response


def method_not_allowed(request, allowed, original=None):
    from django.template.response import TemplateResponse

    response = TemplateResponse(request, "errors/405.html", status=405).render()
    response["Allow"] = ", ".join(m for m in allowed if m)
    if original is not None:
        for name, value in original.items():
            if name.lower() not in ("content-type", "content-length", "allow"):
                response[name] = value
        response.cookies = original.cookies
    return response
