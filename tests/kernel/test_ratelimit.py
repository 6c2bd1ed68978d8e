import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from kernel.ratelimit import parse_rate, rate_limit


def test_parse_rate():
    assert parse_rate("10/h") == (10, 3600)
    assert parse_rate("5/15m") == (5, 900)


@pytest.mark.django_db
def test_limited_action_gets_429_after_the_limit(settings):
    settings.SITE_RATE_LIMITS = {"report": "3/h"}

    @rate_limit("report")
    def view(request):
        return HttpResponse("ok")

    factory = RequestFactory()
    from django.contrib.auth.models import AnonymousUser

    statuses = []
    for _ in range(5):
        request = factory.post("/x", REMOTE_ADDR="10.1.2.3")
        request.user = AnonymousUser()
        statuses.append(view(request).status_code)
    assert statuses == [200, 200, 200, 429, 429]

    other = factory.post("/x", REMOTE_ADDR="10.9.9.9")
    other.user = AnonymousUser()
    assert view(other).status_code == 200  # limits are per client
