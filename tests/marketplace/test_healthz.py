import pytest
from django.test import override_settings


@pytest.mark.django_db
def test_healthz_reports_all_parts_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name for name, part in body["checks"].items() if part["ok"]} == {
        "database",
        "cache",
        "broker",
    }


@pytest.mark.django_db
def test_healthz_is_503_when_broker_unreachable(client):
    # Port 9 on loopback: nothing listens there, so the broker is really unreachable.
    with override_settings(
        CELERY_BROKER_URL="redis://127.0.0.1:9/0", CELERY_BROKER_TRANSPORT_OPTIONS={}
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert "127.0.0.1" not in response.content.decode()
