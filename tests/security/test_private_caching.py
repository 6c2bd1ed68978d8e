"""Signed-in pages are never cached; deleted cookies keep ``Secure`` (issue 18, item 12).

Every URL pattern of the access matrix is requested as signed-in roles: whatever
the answer (a page, a file, a redirect, a 404), a response to a signed-in user says
``Cache-Control: private, no-store``. Public pages to anonymous visitors stay
cacheable (no ``no-store``).
"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from tests.factories import TEST_PASSWORD, UserFactory

from .access import build_path, resolve_kwargs
from .access import url_patterns as all_patterns
from .test_access_matrix import MATRIX, _clients, admin_model_target
from .world import build_world

pytestmark = pytest.mark.django_db

SIGNED_IN_ROLES = ("buyer", "party", "mod")


def _no_store(response) -> bool:
    parts = {p.strip().lower() for p in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= parts


#: Answers that are the same for everyone and say so (``public``): nothing private.
PUBLIC_FOR_EVERYONE = {"robots_txt"}


def test_every_response_to_a_signed_in_user_is_private_no_store(settings):
    settings.ACCOUNT_RATE_LIMITS_ENABLED = False
    world = build_world()
    clients = _clients(world)
    failures, checked = [], 0
    for pattern in all_patterns():
        if pattern.key in PUBLIC_FOR_EVERYONE:
            continue
        if pattern.key not in MATRIX or admin_model_target(pattern) is not None:
            continue
        if "logout" in pattern.route:
            continue
        for case in MATRIX[pattern.key]:
            path = build_path(pattern.route, resolve_kwargs(case, world, pattern.route))
            for role in SIGNED_IN_ROLES:
                response = clients[role].get(path)
                checked += 1
                if not _no_store(response):
                    failures.append(
                        f"GET {path} as {role}: {response.status_code} "
                        f"Cache-Control {response.get('Cache-Control')!r}"
                    )
    assert checked > 100
    assert not failures, f"{len(failures)} of {checked}:\n  " + "\n  ".join(failures)


def test_the_deal_pages_named_in_the_issue_are_private_no_store():
    world = build_world()
    client = Client()
    client.force_login(world.users["buyer"])
    for path in (
        "/deals/",
        f"/deals/{world.pk('deal_funded')}/",
        "/me/",
        "/payouts/",
        "/standing/",
        "/reports/mine/",
        "/sell/",
        "/verify/",
        "/",
        "/listings/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert _no_store(response), (path, response.get("Cache-Control"))


def test_public_pages_stay_cacheable_for_anonymous_visitors():
    world = build_world()
    for path in ("/", "/listings/", f"/listings/{world.pk('listing_published')}/"):
        response = Client().get(path)
        assert response.status_code == 200
        assert "no-store" not in response.get("Cache-Control", ""), path


@override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_deleted_cookies_carry_secure_under_production_settings():
    user = UserFactory()
    client = Client()
    response = client.post("/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert "messages" in response.cookies  # "Successfully signed in as …"
    assert response.cookies["messages"]["secure"]
    # The next page shows the message and deletes the cookie: still Secure.
    response = client.get("/me/")
    deleted = response.cookies["messages"]
    assert deleted.value == "" and str(deleted["max-age"]) == "0"
    assert deleted["secure"], deleted.OutputString()
    # Signing out deletes the session cookie: Secure too.
    response = client.post("/accounts/logout/")
    cookies = response.cookies
    assert cookies, "sign-out set no cookie"
    for name, morsel in cookies.items():
        assert morsel["secure"], (name, morsel.OutputString())


def test_anonymous_pages_with_a_form_or_a_session_are_private_no_store():
    """Sign-in, sign-up, password reset and an e-mail confirmation (which shows the
    address) are one visitor's page: never kept by a shared cache."""
    from allauth.account.models import EmailAddress, EmailConfirmationHMAC

    user = UserFactory()
    address = EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": False, "primary": True}
    )[0]
    EmailAddress.objects.filter(pk=address.pk).update(verified=False)
    address.refresh_from_db()
    key = EmailConfirmationHMAC(address).key
    for path in (
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        f"/accounts/confirm-email/{key}/",
    ):
        response = Client().get(path)
        assert response.status_code == 200, path
        if "confirm-email" in path:
            assert user.email in response.content.decode()
        assert _no_store(response), (path, response.get("Cache-Control"))
