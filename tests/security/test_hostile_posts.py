"""Hostile clients, the POST side: hostile bodies on every POST endpoint, the
admin's changelists and actions with junk, a POST replayed (double click, after
sign-out, with an old token) and raced from two connections. Plumbing and the
categories: tests/security/hostile.py, test_hostile_clients.py, docs/security.md."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from . import figures
from .access import diff, fingerprint
from .hostile import (
    ROLES,
    Findings,
    _login,
    build_world,
    clients,
    is_admin,
    targets,
)

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------- bodies

_NAME = re.compile(rb'name="([^"]{1,80})"')


def _field_names(client, path) -> list[str]:
    response = client.get(path)
    if response.status_code != 200 or getattr(response, "streaming", False):
        return ["title", "text", "body", "file", "image", "details"]
    names = {m.decode() for m in _NAME.findall(response.content)}
    return sorted(names - {"csrfmiddlewaretoken"})[:30] or ["title"]


def _bodies(names: list[str]):
    from django.core.files.uploadedfile import SimpleUploadedFile

    boundary = "XyZ"
    yield "json", {"raw": '{"title": 1, "__proto__": {}}', "content_type": "application/json"}
    yield (
        "xml",
        {
            "raw": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
            "content_type": "application/xml",
        },
    )
    yield "text", {"raw": "\x00\xff junk", "content_type": "text/plain"}
    yield (
        "bad urlencoded",
        {
            "raw": b"title=%FF%FE&text=%00&a=%C0%AE&&==&%=",
            "content_type": "application/x-www-form-urlencoded",
        },
    )
    yield "multipart without boundary", {"raw": b"--x\r\n", "content_type": "multipart/form-data"}
    yield (
        "truncated multipart",
        {
            "raw": (
                f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nabc\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n'
                "Content-Type: image/png\r\n\r\n\x89PNG"
            ).encode("latin-1"),
            "content_type": f"multipart/form-data; boundary={boundary}",
        },
    )
    yield (
        "multipart with a bad header",
        {
            "raw": f'--{boundary}\r\nContent-Disposition: form-data; name="%FF\x00"; filename="\x00../../x"\r\n\r\nabc\r\n--{boundary}--\r\n'.encode(
                "latin-1"
            ),
            "content_type": f"multipart/form-data; boundary={boundary}",
        },
    )
    yield (
        "multipart charset junk",
        {"raw": b"a=b", "content_type": "application/x-www-form-urlencoded; charset=x-junk-9"},
    )
    yield (
        "too many fields",
        {
            "raw": "&".join(f"f{i}=1" for i in range(1200)),
            "content_type": "application/x-www-form-urlencoded",
        },
    )
    for length in ("abc", "-1", "99999999999999999999", "0"):
        yield (
            f"Content-Length {length}",
            {
                "raw": b"title=x",
                "content_type": "application/x-www-form-urlencoded",
                "CONTENT_LENGTH": length,
            },
        )
    yield (
        "text as files",
        {"data": {name: SimpleUploadedFile(f"{name}.txt", b"text") for name in names}},
    )
    yield (
        "files as text",
        {
            "data": {name: ["a", "b"] for name in names}
            | {"image": "x", "file": "x", "files": "x", "attachment": "x", "evidence": "x"}
        },
    )


def test_hostile_bodies_on_every_post_endpoint(world, settings):
    """Every POST endpoint (a pattern whose matrix row has a POST column), as every
    role, every hostile body twice: without a CSRF token (what a forging or broken
    client sends: refused, nothing written) and with the check off (a client that
    holds a token: answered without a 5xx)."""
    found = Findings("bodies")
    posts = [(p, path) for p, path, post in targets(world) if post and "logout" not in path]
    by_role = clients(world)
    names = {path: _field_names(by_role["party"], path) for _p, path in posts}
    # The CSRF check refuses before any view, whoever asks: signed out on the
    # site's pages, the moderator on the admin's.
    no_token = clients(world, roles=("anon", "mod"), enforce_csrf_checks=True)
    for role, client in no_token.items():
        before = fingerprint()
        for _pattern, path in posts:
            if is_admin(path) != (role == "mod"):
                continue
            for label, kwargs in _bodies(names[path]):
                found.check(client, "post", path, f"as {role} {label}, no token", **kwargs)
        changed = [
            k for k in diff(before, fingerprint()) if not k.startswith("accounts.auditentry")
        ]
        if changed:
            found.add(f"bodies without a token as {role}", f"wrote {changed}")
    # With a token: each body once per endpoint, the roles taking turns (the
    # admin's pages as the moderator).
    turn = 0
    for _pattern, path in posts:
        for label, kwargs in _bodies(names[path]):
            turn += 1
            role = "mod" if is_admin(path) else ROLES[turn % len(ROLES)]
            found.check(by_role[role], "post", path, f"as {role} {label}", **kwargs)
    # Over the size limits (the real ones, one role: they are refused before any view).
    big = "a=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    client = by_role["buyer"]
    for _pattern, path in posts[:: max(1, len(posts) // 8)]:
        response = found.check(
            client,
            "post",
            path,
            "over DATA_UPLOAD_MAX_MEMORY_SIZE",
            raw=big,
            content_type="application/x-www-form-urlencoded",
        )
        if response is not None and response.status_code not in (400, 403, 404, 405, 302, 413):
            found.add(f"POST {path} oversized", f"status {response.status_code}")
    found.finish()


# -------------------------------------------------------------------- replays


def _replays(w):
    """(role, path, data): the steps a double click or a replayed request hits."""
    rule = w["rule"].pk
    return [
        ("third", f"/listings/{w.pk('listing_dave')}/buy/", {}),
        (
            "buyer",
            f"/deals/{w.pk('deal_pending')}/pay/",
            {"step": "acknowledge", "acknowledge": "on"},
        ),
        (
            "buyer",
            f"/deals/{w.pk('deal_pending')}/pay/",
            {"step": "card", "number": "4242 4242 4242 4242", "exp": "12/34", "cvc": "123"},
        ),
        ("buyer", f"/deals/{w.pk('deal_delivered')}/dispute/", {"statement": "Not as described."}),
        ("buyer", f"/deals/{w.pk('deal_delivered')}/accept/", {}),
        ("buyer", f"/deals/{w.pk('deal_funded')}/refund/", {}),
        ("buyer", f"/deals/{w.pk('deal_released')}/review/", {"rating": "5", "text": "Good."}),
        ("party", f"/deals/{w.pk('deal_released')}/review/reply/", {"text": "Thanks."}),
        (
            "third",
            f"/report/{w['ct_listing'].pk}/{w.pk('listing_published')}/",
            {"rule": rule, "details": "Asked me to pay outside the site."},
        ),
        ("party", f"/standing/decisions/{w.pk('violation')}/appeal/", {"text": "Once more."}),
        ("party", f"/sell/{w.pk('listing_published')}/withdraw/", {}),
    ]


def _quiet(changed):
    return [k for k in changed if not k.startswith(("accounts.auditentry", "escrow.sim"))]


def test_a_double_clicked_post_acts_once(world):
    """The same POST twice in a row: the second answers without a 5xx and writes
    nothing (a second deal, payment, dispute, report, appeal …)."""
    found = Findings("replays")
    by_role = clients(world, roles=("buyer", "party", "third"))
    acted = []
    for role, path, data in _replays(world):
        before = fingerprint()
        found.check(by_role[role], "post", path, f"as {role} (first)", data=data)
        after_first = fingerprint()
        if _quiet(diff(before, after_first)):
            acted.append(path)
        found.check(by_role[role], "post", path, f"as {role} (again)", data=data)
        changed = _quiet(diff(after_first, fingerprint()))
        if changed:
            found.add(f"POST {path} as {role} twice", f"the second wrote {changed}")
    # Most first posts did what they are for (buy, pay, dispute, review, report,
    # withdraw); the rest are refused already (the world's appeal exists, a
    # disputed deal cannot be accepted): the replay must write nothing either way.
    assert len(acted) >= 6, f"only these acted: {acted}"
    found.finish()


def test_a_post_replayed_after_sign_out_or_with_an_old_token_writes_nothing(world):
    """A form posted again after signing out goes to the login page; one posted
    with the token of a previous session gets the CSRF page; neither writes."""
    from tests.factories import TEST_PASSWORD

    found = Findings("replays after sign-out")
    for role, path, data in _replays(world):
        user = world.users[role]
        client = Client(enforce_csrf_checks=True)
        client.get("/accounts/login/")
        response = client.post(
            "/accounts/login/",
            {
                "login": user.email,
                "password": TEST_PASSWORD,
                "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            },
        )
        assert response.status_code == 302, response.status_code
        client.get("/me/")
        old_token = client.cookies["csrftoken"].value
        client.post("/accounts/logout/", {"csrfmiddlewaretoken": old_token})
        before = fingerprint()
        response = found.check(
            client,
            "post",
            path,
            f"as {role} signed out",
            data={**data, "csrfmiddlewaretoken": old_token},
        )
        if response is not None and not response.get("Location", "").startswith("/accounts/login/"):
            found.add(
                f"POST {path} after sign-out", f"status {response.status_code}, not the login page"
            )
        # Signed in again (a new token): the old one is refused.
        client.post(
            "/accounts/login/",
            {
                "login": user.email,
                "password": TEST_PASSWORD,
                "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            },
        )
        response = found.check(
            client,
            "post",
            path,
            f"as {role} old token",
            data={**data, "csrfmiddlewaretoken": old_token},
        )
        if response is not None and response.status_code != 403:
            found.add(f"POST {path} with an old token", f"status {response.status_code}, not 403")
        changed = _quiet(diff(before, fingerprint()))
        if changed:
            found.add(f"POST {path} replayed as {role}", f"wrote {changed}")
    found.finish()


# ------------------------------------------------------------ admin changelists


def _changelists():
    from django.contrib import admin

    yield from admin.site._registry.items()


def _filter_parameters(model_admin) -> list[str]:
    out = []
    for entry in model_admin.list_filter:
        spec = entry[1] if isinstance(entry, tuple) else entry
        field = entry[0] if isinstance(entry, tuple) else entry
        if isinstance(spec, type):
            name = getattr(spec, "parameter_name", None)
            out.extend([name] if name else [f"{field}__exact", f"{field}__gte", f"{field}__isnull"])
        else:
            out.extend(
                [f"{field}__exact", f"{field}__id__exact", f"{field}__gte", f"{field}__isnull"]
            )
    return out


ADMIN_JUNK = ("%FF", "%00", "99999999999999999999", "-1", "abc", "1.5", "\u202e", "A" * 3000)


def test_admin_changelists_take_junk_search_ordering_paging_and_filters(world):
    """Every ModelAdmin's changelist, as the superuser and the moderator: ``q``,
    ``o``, ``p``, ``_to_field``, ``_popup`` and each of its list filters' parameters
    with junk. The admin answers a bad lookup with ``?e=1``; never a 5xx."""
    from django.urls import reverse

    found = Findings("admin changelists")
    by_role = {}
    for role in ("admin", "mod"):
        client = Client()
        _login(client, role, world.users[role])
        by_role[role] = client
    turn = 0
    for model, model_admin in _changelists():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        params = ["q", "o", "p", "_to_field", "_popup"] + _filter_parameters(model_admin)
        for name in params:
            # The two that broke lookups, and the rest taking turns.
            for value in ADMIN_JUNK[1:3] + (ADMIN_JUNK[3 + turn % (len(ADMIN_JUNK) - 3)],):
                turn += 1
                role = ("admin", "mod")[turn % 2]
                found.check(by_role[role], "get", f"{url}?{name}={value}", f"as {role}")
        # An action on ids that cannot exist: refused, nothing written.
        before = fingerprint()
        for action in list(model_admin.get_actions(_request_as(world.users["admin"])))[:3]:
            for ids in (["abc"], ["\x00"], ["99999999999999999999"], ["-1", "1.5"]):
                data = {"action": action, "_selected_action": ids, "index": "0"}
                found.check(by_role["admin"], "post", url, f"action {action} on {ids}", data=data)
        changed = _quiet(diff(before, fingerprint()))
        if changed:
            found.add(f"actions on {url}", f"wrote {changed}")
    found.finish()


def _request_as(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


# ---------------------------------------------------------------------- races


def _race(client_factory, path, data, n=2):
    """``n`` clients of one user post the same form at the same moment (a double
    click that the browser sent twice); their statuses."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(n)
    statuses: list[int] = []
    clients_ = [client_factory() for _ in range(n)]

    def post(client):
        try:
            barrier.wait(timeout=10)
            statuses.append(client.post(path, data).status_code)
        except Exception as exc:  # noqa: BLE001 - reported as a 500
            statuses.append(500)
            statuses.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(c,)) for c in clients_]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


@pytest.mark.django_db(transaction=True)
def test_the_same_post_twice_at_once_acts_once(settings):
    """Buy, pay, accept, dispute, review and report posted twice at the same moment
    (two connections, real PostgreSQL row locks): one deal, one capture at the
    provider, one acceptance, one dispute, one review, one report; never a 5xx."""
    from escrow.models import Deal, DealEvent, Dispute, Review, SimPaymentIntent
    from governance.models import Report

    from .world import _listing

    settings.ACCOUNT_RATE_LIMITS_ENABLED = False
    settings.RATELIMIT_ENABLED = False
    w = build_world()

    def factory(role):
        def make():
            client = Client()
            _login(client, role, w.users[role])
            return client

        return make

    alice, mod = w.users["party"], w.users["mod"]
    fresh = _listing(alice, mod, title="Alice for the race")
    pending = w["deal_pending"]
    factory("buyer")().post(
        f"/deals/{pending.pk}/pay/", {"step": "acknowledge", "acknowledge": "on"}
    )
    captured = SimPaymentIntent.objects.filter(status="succeeded").count()
    card = {"step": "card", "number": "4242 4242 4242 4242", "exp": "12/34", "cvc": "123"}
    delivered, released = w["deal_delivered"], w["deal_released"]
    accepted = DealEvent.objects.filter(deal=delivered).count()
    cases = [
        (
            "third",
            f"/listings/{fresh.pk}/buy/",
            {},
            lambda: Deal.objects.filter(listing=fresh).count() == 1,
        ),
        (
            "buyer",
            f"/deals/{pending.pk}/pay/",
            card,
            lambda: SimPaymentIntent.objects.filter(status="succeeded").count() == captured + 1,
        ),
        (
            "buyer",
            f"/deals/{delivered.pk}/accept/",
            {},
            lambda: DealEvent.objects.filter(deal=delivered).count() <= accepted + 1,
        ),
        (
            "buyer",
            f"/deals/{released.pk}/review/",
            {"rating": "5", "text": "Good."},
            lambda: Review.objects.filter(deal=released).count() <= 1,
        ),
        (
            "third",
            f"/report/{w['ct_listing'].pk}/{w.pk('listing_published')}/",
            {"rule": w["rule"].pk, "details": "Asked me to pay outside the site."},
            lambda: (
                Report.objects.filter(
                    reporter=w.users["third"], subject_id=str(w.pk("listing_published"))
                ).count()
                <= 1
            ),
        ),
    ]
    failures = []
    for role, path, data, holds in cases:
        statuses = _race(factory(role), path, data)
        if any(not isinstance(s, int) or s >= 500 for s in statuses):
            failures.append(f"POST {path} twice at once as {role}: {statuses}")
        if not holds():
            failures.append(f"POST {path} twice at once as {role}: acted twice")
    # A dispute on a deal that was just delivered: opened once.
    dispute_deal = w["deal_funded"]
    statuses = _race(factory("buyer"), f"/deals/{dispute_deal.pk}/dispute/", {"statement": "No."})
    if any(not isinstance(s, int) or s >= 500 for s in statuses):
        failures.append(f"dispute twice at once: {statuses}")
    if Dispute.objects.filter(deal=dispute_deal).count() > 1:
        failures.append("dispute twice at once: two disputes")
    figures.record("hostile", checked=2 * (len(cases) + 1), failed=len(failures))
    assert not failures, "\n".join(failures)
