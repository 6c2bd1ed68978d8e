"""The admin's login goes through allauth, and staff need MFA to get in."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group

from accounts.permissions import MODERATORS_GROUP
from tests.factories import TEST_PASSWORD, UserFactory
from tests.totp import fresh_totp_code

pytestmark = pytest.mark.django_db
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _staff(**kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    return user


def _current_code(user) -> str:
    return fresh_totp_code(user, secret=SECRET)


def test_anonymous_admin_goes_to_allauth_login(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")


def test_staff_without_mfa_is_refused(client):
    staff = _staff()
    client.force_login(staff)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "two-factor authentication" in response.content.decode().lower()
    assert client.get("/admin/accounts/auditentry/").status_code in (302, 403)


def test_staff_with_mfa_is_asked_for_the_code_then_let_in(client):
    staff = _staff()
    TOTP.activate(staff, SECRET)

    response = client.post(
        "/accounts/login/?next=/admin/",
        {"login": staff.email, "password": TEST_PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still not in

    response = client.post("/accounts/2fa/authenticate/", {"code": _current_code(staff)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_wrong_mfa_code_keeps_staff_out(client):
    staff = _staff()
    TOTP.activate(staff, SECRET)
    client.post("/accounts/login/", {"login": staff.email, "password": TEST_PASSWORD})
    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_staff_with_mfa_but_a_password_only_session_must_enter_a_code(client):
    """An authenticator on the account is not enough: the session itself must have
    passed the second factor (allauth's MFA re-authentication counts)."""
    staff = _staff()
    TOTP.activate(staff, SECRET)
    client.force_login(staff)  # a session opened without the TOTP step

    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    page = response.content.decode()
    assert "/accounts/2fa/reauthenticate/?next=/admin/" in page

    response = client.post(
        "/accounts/2fa/reauthenticate/?next=/admin/", {"code": _current_code(staff)}
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_turning_the_authenticator_off_ends_the_acting_role(client):
    from allauth.mfa.models import Authenticator

    from tests.totp import force_login_with_second_factor

    staff = _staff()
    TOTP.activate(staff, SECRET)
    force_login_with_second_factor(client, staff)
    assert client.get("/admin/").status_code == 200
    Authenticator.objects.filter(user=staff).delete()
    assert client.get("/admin/").status_code == 302
