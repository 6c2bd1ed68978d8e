"""Signed-in sessions read from Redis in front of the database
(``kernel.sessions``), and what happens when Redis is not there."""

from __future__ import annotations

import socket

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kernel import sessions
from tests.factories import VerifiedUserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        django_settings.SESSION_ENGINE != "kernel.sessions",
        reason="sessions are kept in Redis only when REDIS_URL is set (make test sets it)",
    ),
]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket closes


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        **settings.CACHES,
        "down": {
            "BACKEND": "kernel.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
    settings.SESSION_CACHE_ALIAS = "down"


def test_a_signed_in_page_reads_its_session_without_the_database(client):
    user = VerifiedUserFactory()
    client.force_login(user)
    client.get("/deals/")  # the session is in the cache from the login already

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/deals/")

    assert response.status_code == 200
    assert response.context["user"] == user
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]


def test_a_session_is_kept_in_the_cache_for_a_bounded_time(client):
    client.force_login(VerifiedUserFactory())
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    cache = caches["default"]
    raw = cache._cache.get_client(write=False)

    ttl = raw.ttl(cache.make_key(sessions.SessionStore.cache_key_prefix + key))

    assert 0 < ttl <= sessions.CACHE_SECONDS < django_settings.SESSION_COOKIE_AGE


def test_a_logout_ends_the_session_in_the_cache_too(client):
    client.force_login(VerifiedUserFactory())
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value

    client.post("/accounts/logout/")
    client.cookies[django_settings.SESSION_COOKIE_NAME] = cookie  # an old copy of it

    response = client.get("/deals/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Session.objects.filter(session_key=cookie).exists()


def test_with_redis_down_signed_in_pages_and_logout_still_work(client, redis_down, caplog):
    user = VerifiedUserFactory()
    client.force_login(user)  # saved to the database; the cache write is logged
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value

    caplog.clear()  # the login's own cache write was refused too

    response = client.get("/deals/")
    assert response.status_code == 200
    assert response.context["user"] == user
    assert "reading the database" in caplog.text  # the request's read fell back

    assert client.post("/accounts/logout/").status_code == 302
    assert not Session.objects.filter(session_key=cookie).exists()
    assert "could not be removed from the cache" in caplog.text


def test_a_request_that_read_the_session_before_a_logout_cannot_bring_it_back(client):
    """It read the row, the logout deleted it, then it stores what it read: the
    logout's tombstone stays, and the session stays ended."""
    client.force_login(VerifiedUserFactory())
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    before_logout = sessions.SessionStore(key)
    data = before_logout.load()

    client.post("/accounts/logout/")
    before_logout._keep(data, 3600, replace=False)  # the stale request's write-back

    assert sessions.SessionStore(key).load() == {}
    client.cookies[django_settings.SESSION_COOKIE_NAME] = key
    assert client.get("/deals/").status_code == 302  # to the login page
