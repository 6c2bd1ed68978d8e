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


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "heading"), [("en", "Service status"), ("zh-hans", "服务状态")])
def test_a_browser_gets_the_status_as_a_page_in_its_language(client, lang, heading):
    # The footer's "Service status" link: people get a page, monitors (any other Accept) JSON.
    client.cookies["django_language"] = lang
    response = client.get("/healthz", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert f"<h1>{heading}</h1>" in response.content.decode()
    assert client.get("/healthz", HTTP_ACCEPT="*/*")["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_the_status_page_keeps_the_503_and_names_the_part_down(client):
    with override_settings(
        CELERY_BROKER_URL="redis://127.0.0.1:9/0", CELERY_BROKER_TRANSPORT_OPTIONS={}
    ):
        response = client.get("/healthz", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 503
    html = response.content.decode()
    assert "Job queue</th><td>Down" in html
    assert "redis://" not in html and ":9/" not in html  # no connection string
