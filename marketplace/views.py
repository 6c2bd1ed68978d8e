"""Site-wide views: the health check and the error pages."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from kernel.http import set_language_cookie

from . import heartbeats


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = "healthz:probe"
    cache.set(key, "ok", 10)
    if cache.get(key) != "ok":
        raise RuntimeError("cache did not return the value it was given")


def _check_broker() -> None:
    with Connection(
        settings.CELERY_BROKER_URL,
        transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        connect_timeout=2,
    ) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        if conn.transport_cls == "redis" or conn.transport.driver_type == "redis":
            conn.default_channel.client.ping()


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}
STATUS_LABELS = {
    "database": _("Database"),
    "cache": _("Cache"),
    "broker": _("Job queue"),
    "beat": _("Scheduled jobs"),
    "workers": _("Background workers"),
}


@never_cache
def healthz(request):
    """JSON state of each backing service and of the Celery processes; 503 when any
    service is down, or, with ``HEALTHZ_HEARTBEATS`` on, when the beat or every
    worker has stopped beating (marketplace.heartbeats).

    Errors are reported by type only: the page is public and must not leak hosts
    or credentials from connection strings.
    """
    report: dict[str, dict] = {}
    healthy = True
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means "down"
            healthy = False
            report[name] = {"ok": False, "error": type(exc).__name__}
        else:
            report[name] = {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}
    try:
        beats = heartbeats.status()
    except Exception as exc:  # noqa: BLE001 - the broker is down: so are the heartbeats
        beats = {
            "beat": {"ok": False, "error": type(exc).__name__},
            "workers": {"ok": False, "error": type(exc).__name__},
        }
    # Worker host names stay off a public page.
    beats["workers"].pop("ages_s", None)
    if settings.HEALTHZ_HEARTBEATS:
        report.update(beats)
        healthy = healthy and beats["beat"]["ok"] and beats["workers"]["ok"]
    status = 200 if healthy else 503
    if request.get_preferred_type(["application/json", "text/html"]) == "text/html":
        # A person who followed the footer's "Status" link: the same facts as a
        # page in their language (monitors ask for JSON or anything, and get JSON).
        parts = [(STATUS_LABELS.get(name, name), part["ok"]) for name, part in report.items()]
        return render(
            request, "pages/status.html", {"healthy": healthy, "parts": parts}, status=status
        )
    body = {"status": "ok" if healthy else "unavailable", "checks": report}
    if not settings.HEALTHZ_HEARTBEATS:
        body["heartbeats"] = beats  # shown, not required (development)
    return JsonResponse(body, status=status)


def home(request):
    return render(request, "home.html")


def error_404(request, exception=None):
    return render(request, "errors/404.html", status=404)


def error_403(request, exception=None):
    return render(request, "errors/403.html", status=403)


def error_400(request, exception=None):
    return render(request, "errors/400.html", status=400)


def error_500(request):
    return render(request, "errors/500.html", status=500)


def csrf_failure(request, reason=""):
    """A form sent with a missing or stale security token (most often: the page was
    open for a long time, or cookies are off). Django's own page is unstyled and
    speaks of CSRF; this one says what to do, in the reader's language."""
    return render(request, "errors/csrf.html", status=403)


@never_cache  # a redirect that sets a cookie: no shared cache may keep it
@require_GET
def switch_language(request):
    """``/i18n/switch/?language=zh-hans&next=/listings/``: the header's language
    menu. Sets the language cookie (as Django's ``set_language`` does) and goes back
    to ``next`` (this site only; else the home page).

    A GET, so the pages a visitor who is not signed in sees carry no CSRF token and
    set no cookie: the same bytes for everyone, which a cache may keep whole (a
    forged switch can only change someone's language). Django's POST
    ``set_language`` stays at ``/i18n/setlang/``."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    language = request.GET.get("language", "")
    if language and check_for_language(language):
        _remember_language(request, language)
        set_language_cookie(response, language)
    return response


def set_language(request):
    """Django's ``set_language`` (POST ``/i18n/setlang/``), and a signed-in user's
    choice is remembered on their account (their e-mails are written in it)."""
    from django.views.i18n import set_language as django_set_language

    response = django_set_language(request)
    chosen = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen is not None and chosen.value:
        _remember_language(request, chosen.value)
    return response


def _remember_language(request, language: str) -> None:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from accounts.services import remember_language

        remember_language(user=user, language=language)


def serve_public_media(request, path, document_root=None):
    """Django's ``static.serve`` for public media (``SERVE_MEDIA``), answering 404
    where the file system refuses the name (longer than it allows, …) instead of
    letting its ``OSError`` become a 500."""
    from django.http import Http404
    from django.views.static import serve

    try:
        return serve(request, path, document_root=document_root)
    except (OSError, ValueError):
        raise Http404 from None
