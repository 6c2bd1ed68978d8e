"""Rate limits behind a reverse proxy (issue 18, item 7).

One setting (``TRUSTED_PROXY_COUNT``) and one function (``kernel.http.client_ip``)
read the client's address from ``X-Forwarded-For``, from the right; the site's
limiter and allauth's both use it. Behind one proxy every request has the proxy's
``REMOTE_ADDR``: two clients must still get separate buckets, and a client must not
choose its bucket by writing addresses into the header itself.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings

from kernel.http import client_bucket, client_ip
from kernel.ratelimit import rate_limit

from . import figures

PROXY = "10.0.0.2"  # nginx, as gunicorn sees it
LB = "10.0.0.1"  # a load balancer in front of nginx

# (TRUSTED_PROXY_COUNT, REMOTE_ADDR, X-Forwarded-For or None, expected client address)
CASES = [
    # No proxy configured: the header is the client's own and ignored.
    (0, "198.51.100.7", None, "198.51.100.7"),
    (0, "198.51.100.7", "203.0.113.9", "198.51.100.7"),
    # One proxy: the rightmost entry, written by nginx.
    (1, PROXY, "203.0.113.9", "203.0.113.9"),
    (1, PROXY, "1.1.1.1, 203.0.113.9", "203.0.113.9"),  # prepended by the client
    (1, PROXY, "1.1.1.1,2.2.2.2 ,  203.0.113.9", "203.0.113.9"),
    (1, PROXY, "203.0.113.9:51234", "203.0.113.9"),  # with a port
    (1, PROXY, "[2001:db8::5]:443", "2001:db8::5"),
    (1, PROXY, "2001:DB8:0:0::5", "2001:db8::5"),  # normalised
    (1, PROXY, "::ffff:203.0.113.9", "203.0.113.9"),  # IPv4-mapped
    # Garbage where the proxy's entry should be, or no header: REMOTE_ADDR.
    (1, PROXY, None, PROXY),
    (1, PROXY, "", PROXY),
    (1, PROXY, "unknown", PROXY),
    (1, PROXY, "203.0.113.9, not-an-ip", PROXY),
    (1, PROXY, "203.0.113.9, " + "9" * 5000, PROXY),
    (1, PROXY, "203.0.113.9,", PROXY),
    (1, PROXY, "203.0.113.9\x00", PROXY),
    (1, PROXY, "<script>", PROXY),
    # Two proxies (load balancer, then nginx): the second entry from the right.
    (2, PROXY, "203.0.113.9, " + LB, "203.0.113.9"),
    (2, PROXY, "6.6.6.6, 203.0.113.9, " + LB, "203.0.113.9"),
    (2, PROXY, LB, PROXY),  # shorter than the chain: not through every proxy
    # Nothing usable at all.
    (1, "", "garbage", None),
    (0, "not-an-address", None, None),
]


def _request(remote_addr: str, forwarded: str | None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().post("/x", **extra)
    request.user = AnonymousUser()
    return request


@pytest.mark.parametrize(("count", "remote", "forwarded", "expected"), CASES)
def test_client_ip_reads_the_header_from_the_right_by_the_proxy_count(
    settings, count, remote, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = count
    got = client_ip(_request(remote, forwarded))
    figures.record("proxy", checked=1, failed=int(got != expected))
    assert got == expected


def test_ipv6_clients_share_a_bucket_per_64(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    one = client_bucket(_request(PROXY, "2001:db8:1:2::1"))
    same_64 = client_bucket(_request(PROXY, "2001:db8:1:2:ffff::9"))
    other_64 = client_bucket(_request(PROXY, "2001:db8:1:3::1"))
    ok = one == same_64 != other_64
    figures.record("proxy", checked=1, failed=int(not ok))
    assert ok


@pytest.mark.django_db
@override_settings(
    ACCOUNT_RATE_LIMITS_ENABLED=True, SITE_RATE_LIMITS={"report": "3/h"}, TRUSTED_PROXY_COUNT=1
)
def test_site_limiter_gives_each_client_behind_the_proxy_its_own_bucket():
    @rate_limit("report")
    def view(request):
        return HttpResponse("ok")

    def post(forwarded):
        return view(_request(PROXY, forwarded)).status_code

    first = [post("203.0.113.9") for _ in range(4)]
    # Another client behind the same proxy is not limited by the first one.
    second = post("203.0.113.10")
    # The first client prepends addresses of its own: still its bucket.
    spoofed = [post(f"192.0.2.{i}, 203.0.113.9") for i in range(3)]
    ok = first == [200, 200, 200, 429] and second == 200 and spoofed == [429] * 3
    figures.record("proxy", checked=3, failed=0 if ok else 3)
    assert first == [200, 200, 200, 429]
    assert second == 200
    assert spoofed == [429, 429, 429]


def _login_flood(client, forwarded, n):
    return [
        client.post(
            "/accounts/login/",
            {"login": f"x{i}@example.com", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=forwarded,
            REMOTE_ADDR=PROXY,
        ).status_code
        for i in range(n)
    ]


@pytest.mark.django_db
@override_settings(
    ACCOUNT_RATE_LIMITS_ENABLED=True,
    ACCOUNT_RATE_LIMITS={"login": "3/m/ip"},
    TRUSTED_PROXY_COUNT=1,
)
def test_allauth_login_limit_counts_clients_behind_the_proxy_apart():
    flooder = _login_flood(Client(), "203.0.113.9", 5)
    assert 429 in flooder, flooder
    # A second visitor behind the same proxy can still try to sign in.
    other = _login_flood(Client(), "203.0.113.10", 1)
    # The flooder cannot escape its bucket by prepending addresses.
    spoofed = _login_flood(Client(), "192.0.2.77, 203.0.113.9", 2)
    ok = other == [200] and spoofed == [429, 429]
    figures.record("proxy", checked=2, failed=0 if ok else 2)
    assert other == [200]
    assert spoofed == [429, 429]


@pytest.mark.django_db
@override_settings(ACCOUNT_RATE_LIMITS_ENABLED=True, TRUSTED_PROXY_COUNT=2)
def test_a_short_forwarded_header_is_no_server_error():
    """allauth's own reading raises ImproperlyConfigured (a 500) when the header
    has fewer entries than the proxy count; the site's reading falls back."""
    statuses = _login_flood(Client(), "203.0.113.9", 1)
    figures.record("proxy", checked=1, failed=int(statuses != [200]))
    assert statuses == [200]


def test_the_env_var_sets_the_one_setting_and_allauths():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HANDOFF_"))}
    env.update(HANDOFF_READ_DOTENV="0", TRUSTED_PROXY_COUNT="2")
    code = (
        "from django.conf import settings as s; "
        "print(s.TRUSTED_PROXY_COUNT, s.ALLAUTH_TRUSTED_PROXY_COUNT, s.ACCOUNT_ADAPTER)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    ok = "2 2 accounts.adapter.AccountAdapter" in result.stdout.splitlines()
    figures.record("proxy", checked=1, failed=int(not ok))
    assert ok, result.stdout + result.stderr
