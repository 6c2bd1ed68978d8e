"""The benchmark's ceiling: a small fixed HTML page behind the whole middleware
stack, touching neither the database nor the cache.

Routed only when ``BENCH_ENDPOINTS`` is on (``HANDOFF_BENCH_ENDPOINTS=1``, set by
``make bench``), so production never exposes it. ``bench/`` compares every page's
requests/s with this one, measured in the same run.
"""

from __future__ import annotations

from django.http import HttpResponse

CEILING_HTML = (
    b"<!doctype html><html lang=en><head><meta charset=utf-8>"
    b"<title>Handoff ceiling</title></head><body><p>ceiling</p></body></html>"
)


def ceiling(request):
    """``/_bench/ceiling``: the same fixed bytes every time."""
    return HttpResponse(CEILING_HTML, content_type="text/html; charset=utf-8")
