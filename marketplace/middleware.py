"""Response headers that depend on who asked.

``PrivateResponseMiddleware`` sits near the top of ``MIDDLEWARE`` so that on the
way out it sees every cookie the inner middleware set (sessions, messages, CSRF,
language) and the user the authentication middleware attached.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
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
#: More digits than any body this site accepts could need (a sanity bound: the
#: size limits themselves are Django's DATA_UPLOAD_MAX_MEMORY_SIZE and the proxy's).
_MAX_LENGTH_DIGITS = 15


class RequestShapeMiddleware:
    """Requests no page of this site is made for, answered before any view runs:

    - a method other than GET, HEAD or POST (PUT, PATCH, DELETE, OPTIONS, TRACE,
      anything invented): 405. Function views answer every method as GET — a
      private document view served (and logged as viewed) a PUT, a DELETE and a
      TRACE — and OPTIONS and TRACE skip the CSRF check, so a view that treats
      "not GET" as a submission would write on them;
    - a NUL character in the path or the query (``%00``): 400. PostgreSQL cannot
      store or compare one (psycopg2 raises ``ValueError``), and no address of
      the site has one: the admin's list filters answered ``?status__exact=%00``
      with a 500;
    - a ``Content-Length`` that is not a whole number (``abc``, ``-1``): 400.
      Django's ``request.body`` calls ``int()`` on it and raised a 500 as soon as
      the CSRF check read the form; gunicorn refuses such requests itself, but
      not every server in front of the app does.

    On the way out, an empty 405 (``require_POST`` and friends write no body)
    becomes the error page in the visitor's language, keeping its ``Allow``.
    Under ``DEBUG`` (``make run``) a 404 is the site's own page too, not Django's
    technical one: that lists every URL pattern, in English, to whoever opens a
    wrong address on the demo (production already uses ``handler404``).

    Sits after the authentication and message middleware: the page's header
    shows who is signed in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ALLOWED_METHODS:
            return method_not_allowed(request, ALLOWED_METHODS)
        length = request.META.get("CONTENT_LENGTH", "")
        bad_length = length and not (
            length.isascii() and length.isdigit() and len(length) <= _MAX_LENGTH_DIGITS
        )
        if bad_length or "\x00" in request.path or _has_nul(request.META.get("QUERY_STRING", "")):
            from marketplace.views import error_400

            return error_400(request)
        response = self.get_response(request)
        if response.status_code == 405 and not response.streaming and not response.content:
            return method_not_allowed(request, response.get("Allow", "").split(", "), response)
        if settings.DEBUG and response.status_code == 404 and request.resolver_match is None:
            # No URL pattern matched: Django answered with its technical page.
            from marketplace.views import error_404

            return error_404(request)
        return response

    def process_exception(self, request, exception):
        """A view's ``Http404`` under ``DEBUG``: the site's page (see the class)."""
        if settings.DEBUG and isinstance(exception, Http404):
            from marketplace.views import error_404

            return error_404(request, exception)
        return None


def _has_nul(query: str) -> bool:
    from urllib.parse import unquote_plus

    return "\x00" in query or ("%00" in query and "\x00" in unquote_plus(query))


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
