"""Sign-up, e-mail verification, enumeration prevention and login rate limits."""

import re

import pytest
from django.core import mail

from accounts.models import User
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_weak_password_shows_error_and_keeps_email_but_not_password(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password1": "123", "password2": "123"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="new@example.com"' in html
    assert 'value="123"' not in html
    assert "too short" in html or "too common" in html
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short", "length"),
        ("password1234", "common"),
        ("8675309123456", "numeric"),
        ("new-person@example.com", "similar to the e-mail"),
    ],
)
def test_every_password_rule_speaks_chinese(client, password, rule):
    # Django's Chinese catalogue lags its message ids (5.2 renamed the length
    # message): each rule's refusal must still read in Chinese.
    client.cookies["django_language"] = "zh-hans"
    response = client.post(
        "/accounts/signup/",
        {"email": "new-person@example.com", "password1": password, "password2": password},
    )
    errors = re.findall(r'<ul class="errorlist"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    assert errors, f"no error shown for the {rule} rule"
    for error in errors:
        assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", error), f"{rule}: {error}"


def test_mismatched_confirmation_is_a_field_error(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password1": TEST_PASSWORD, "password2": TEST_PASSWORD + "x"},
    )
    assert response.status_code == 200
    assert "You must type the same password each time" in response.content.decode()
    assert TEST_PASSWORD not in response.content.decode()
    assert not User.objects.filter(email="new@example.com").exists()


def test_signup_sends_verification_and_login_requires_it(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "fresh@example.com", "password1": TEST_PASSWORD, "password2": TEST_PASSWORD},
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body

    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "fresh@example.com", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert "/accounts/confirm-email/" in response["Location"]  # not logged in yet

    path = link.group(0).split("testserver", 1)[-1]
    client.post(path)
    response = client.post(
        "/accounts/login/", {"login": "fresh@example.com", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_signup_with_taken_email_does_not_reveal_the_account(client):
    owner = UserFactory(email="taken@example.com")
    response = client.post(
        "/accounts/signup/",
        {"email": "taken@example.com", "password1": TEST_PASSWORD, "password2": TEST_PASSWORD},
    )
    # Same outcome as a fresh sign-up: redirect to "check your e-mail".
    assert response.status_code == 302
    assert "/accounts/confirm-email/" in response["Location"]
    assert User.objects.filter(email="taken@example.com").count() == 1
    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert "already" in mail.outbox[0].body.lower()


def test_repeated_failed_logins_are_rate_limited(client):
    UserFactory(email="victim@example.com")
    messages = []
    for _ in range(7):
        response = client.post(
            "/accounts/login/", {"login": "victim@example.com", "password": "wrong-password"}
        )
        messages.append(response.content.decode())
    assert "Too many failed login attempts" in messages[-1]
    # Even the right password is refused while limited.
    response = client.post(
        "/accounts/login/", {"login": "victim@example.com", "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
