"""Metrics an operator scrapes: ``GET /metrics`` (Prometheus text format) with
``Authorization: Bearer <METRICS_TOKEN>``.

Per web process: requests and their latency (``RequestMetricsMiddleware``). Under
gunicorn, ``deploy/gunicorn.conf.py`` sets ``PROMETHEUS_MULTIPROC_DIR`` so a
scrape of one node adds up all its worker processes; scrape every node. Site-wide,
read from the database and the broker at scrape time (the same on every node):
deals by state, money held in escrow, job lag (how long the oldest due deadline
has waited), the e-mail outbox, failed payouts, queue length, Celery heartbeats.
"""

from __future__ import annotations

import hmac
import os
import time

from django.conf import settings
from django.db.models import Count, Min, Sum
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

REQUESTS = Counter(
    "handoff_http_requests_total", "HTTP requests answered", ["method", "status", "view"]
)
LATENCY = Histogram(
    "handoff_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class RequestMetricsMiddleware:
    """Counts every request by method, status and view name (a bounded set)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None and match.view_name else "unmatched"
        REQUESTS.labels(request.method, str(response.status_code), view).inc()
        LATENCY.labels(request.method).observe(time.perf_counter() - started)
        return response


class SiteCollector:
    """Gauges read at scrape time from the database, the broker and the heartbeats."""

    def collect(self):
        from escrow.models import Account, Deal, LedgerEntry, Notification, Payout

        from . import heartbeats

        now = timezone.now()
        deals = GaugeMetricFamily("handoff_deals", "Deals by state", labels=["state"])
        counts = dict(Deal.objects.values_list("state").annotate(n=Count("id")).order_by())
        for state in Deal.State.values:
            deals.add_metric([state], counts.get(state, 0))
        yield deals

        held = GaugeMetricFamily(
            "handoff_escrow_held_minor_units",
            "Buyers' money held in escrow (ledger balance, minor units)",
            labels=["currency"],
        )
        for currency, total in (
            LedgerEntry.objects.filter(account=Account.ESCROW_HELD)
            .values_list("currency")
            .annotate(total=Sum("amount"))
            .order_by()
        ):
            held.add_metric([currency], -(total or 0))  # a liability: credit balance
        yield held

        lag = GaugeMetricFamily(
            "handoff_job_lag_seconds",
            "How long the oldest due item of each job has waited (0: nothing overdue)",
            labels=["job"],
        )
        due = {
            "deal_deadlines": Deal.objects.filter(
                state__in=[
                    Deal.State.PENDING_PAYMENT,
                    Deal.State.FUNDED,
                    Deal.State.DELIVERED,
                    Deal.State.ACCEPTED,
                ],
                due_at__lte=now,
            ).aggregate(at=Min("due_at"))["at"],
            "email_outbox": Notification.objects.filter(
                email_state=Notification.EmailState.PENDING, email_due_at__lte=now
            ).aggregate(at=Min("email_due_at"))["at"],
            "payouts": Payout.objects.filter(
                status__in=[Payout.Status.PENDING, Payout.Status.FAILED],
                next_attempt_at__lte=now,
            ).aggregate(at=Min("next_attempt_at"))["at"],
        }
        for job, at in due.items():
            lag.add_metric([job], (now - at).total_seconds() if at else 0.0)
        yield lag

        yield GaugeMetricFamily(
            "handoff_email_outbox_pending",
            "Deal e-mails waiting in the outbox",
            value=Notification.objects.filter(email_state=Notification.EmailState.PENDING).count(),
        )
        failed = GaugeMetricFamily(
            "handoff_payouts_failing", "Payouts failed or needing an operator", labels=["status"]
        )
        payouts = dict(
            Payout.objects.filter(status__in=[Payout.Status.FAILED, Payout.Status.NEEDS_ATTENTION])
            .values_list("status")
            .annotate(n=Count("id"))
            .order_by()
        )
        for status in (Payout.Status.FAILED, Payout.Status.NEEDS_ATTENTION):
            failed.add_metric([status.value], payouts.get(status.value, 0))
        yield failed

        if settings.BROKER_IS_REDIS:
            queue = GaugeMetricFamily(
                "handoff_queue_length", "Tasks waiting in the broker", labels=["queue"]
            )
            client = heartbeats.broker_client()
            queue.add_metric(["celery"], client.llen("celery"))
            yield queue
        beats = heartbeats.status()
        yield GaugeMetricFamily(
            "handoff_celery_workers_alive",
            "Workers whose heartbeat is fresh",
            value=beats["workers"]["alive"],
        )
        age = beats["beat"]["age_s"]
        yield GaugeMetricFamily(
            "handoff_beat_heartbeat_age_seconds",
            "Age of the scheduling beat's heartbeat (-1: none)",
            value=-1 if age is None else age,
        )


def _authorised(request) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return False
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@never_cache
@require_GET
def metrics(request):
    """404 without the token (as without the feature): the page's existence is
    not advertised."""
    if not _authorised(request):
        raise Http404
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # every gunicorn worker of this node
        MultiProcessCollector(registry)
    else:
        for collector in (REQUESTS, LATENCY):
            registry.register(collector)
    registry.register(SiteCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
