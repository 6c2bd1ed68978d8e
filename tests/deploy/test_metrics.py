"""/metrics: Prometheus text for an operator's scraper, behind a bearer token."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from django.utils import timezone

from escrow import services
from escrow.models import Deal
from tests.escrow.conftest import open_and_pay
from tests.factories import ListingFactory, VerifiedUserFactory

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-for-tests-0123456789"


def _value(text: str, name: str, labels: str = "") -> float:
    pattern = rf"^{re.escape(name)}{re.escape(labels)} (\S+)$"
    found = re.search(pattern, text, re.M)
    assert found, f"{name}{labels} not in metrics:\n{text}"
    return float(found.group(1))


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", TOKEN])
def test_metrics_are_hidden_without_the_token(client, header):
    with override_settings(METRICS_TOKEN=TOKEN):
        kwargs = {"HTTP_AUTHORIZATION": header} if header else {}
        assert client.get("/metrics", **kwargs).status_code == 404


def test_metrics_do_not_exist_when_no_token_is_configured(client):
    with override_settings(METRICS_TOKEN=""):
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_metrics_report_requests_deals_money_outbox_and_lag(client):
    now = timezone.now()
    buyer, other = VerifiedUserFactory(), VerifiedUserFactory()
    funded = open_and_pay(buyer, ListingFactory(price=150_000), now)
    second = open_and_pay(other, ListingFactory(price=20_000), now)
    unpaid = services.open_deal(buyer=buyer, listing_id=ListingFactory().pk, now=now)
    Deal.objects.filter(pk=unpaid.pk).update(due_at=now - timezone.timedelta(seconds=120))
    client.get("/listings/")
    with override_settings(METRICS_TOKEN=TOKEN):
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    text = response.content.decode()
    assert _value(text, "handoff_deals", '{state="FUNDED"}') == 2
    assert _value(text, "handoff_deals", '{state="PENDING_PAYMENT"}') == 1
    assert _value(text, "handoff_deals", '{state="RELEASED"}') == 0
    held = _value(text, "handoff_escrow_held_minor_units", '{currency="USD"}')
    assert held == funded.total + second.total  # what the buyers paid, held
    assert _value(text, "handoff_email_outbox_pending") >= 2  # the deal steps' e-mails
    assert _value(text, "handoff_job_lag_seconds", '{job="deal_deadlines"}') >= 120
    assert _value(text, "handoff_payouts_failing", '{status="failed"}') == 0
    assert (
        _value(
            text,
            "handoff_http_requests_total",
            '{method="GET",status="200",view="listings:catalogue"}',
        )
        >= 1
    )
    assert "handoff_http_request_duration_seconds_bucket" in text
    assert "handoff_celery_workers_alive" in text
