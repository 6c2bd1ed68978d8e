"""Rule ADM-04 at the door: a display name cannot be another member's name (in any
disguise), an e-mail address, or claim to speak for the site — on /me/ and in the
admin, in English and Chinese, with the error beside the field and what was typed
kept."""

from __future__ import annotations

import html
import threading

import pytest
from django.db import connection
from django.test import Client

from accounts import services
from accounts.display_names import name_key, validate_display_name
from accounts.models import User
from tests.factories import UserFactory
from tests.totp import force_login_with_second_factor

pytestmark = pytest.mark.django_db

TAKEN = "Demo Seller"


@pytest.fixture
def demo_seller():
    return UserFactory(display_name=TAKEN, email="seller@demo.handoff.test")


@pytest.fixture
def member(client):
    user = UserFactory(display_name="Plain Name")
    client.force_login(user)
    return user


def _post(client, name, **headers):
    return client.post("/me/", {"display_name": name}, **headers)


def _assert_refused(response, member, typed, fragment):
    assert response.status_code == 200  # the form again, not a redirect
    page = html.unescape(response.content.decode())
    assert fragment in page, page[:2000]
    # What was typed stays in the field; the saved name does not change.
    assert f'value="{typed}"' in page
    member.refresh_from_db()
    assert member.display_name == "Plain Name"


LOOK_ALIKES = [
    "Demo Seller",
    "demo seller",
    "DEMO SELLER",
    "ＤＥＭＯ　ＳＥＬＬＥＲ",  # full width
    "Demo   Seller",
    "DemoSeller",
    "Demo-Seller",
    "Demo_Seller.",
    "Dem0 Se11er",  # digits for letters
    "Dеmo Seller",  # Cyrillic е
    "Démo Seller",  # accent
    "Demo Seller ✓",  # a badge-like symbol
    "Demo\u200b Seller",  # zero-width space
    "\u202eDemo Seller",  # bidi override
]


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_another_members_name_is_refused_in_any_disguise(client, demo_seller, member, name):
    response = _post(client, name)
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "Another member already uses this name" in page
    member.refresh_from_db()
    assert member.display_name == "Plain Name"


def test_the_refusal_sits_beside_the_field_and_keeps_what_was_typed(client, demo_seller, member):
    response = _post(client, "demo  seller")
    _assert_refused(response, member, "demo  seller", "Another member already uses this name")
    # The header still shows the saved name, never the refused one.
    assert "Plain Name" in response.content.decode()


EMAILS = [
    "buyer@demo.handoff.test",
    "buyer＠demo．handoff．test",  # full width
    "buyer (at) demo (dot) test",
    "buyer [at] demo [dot] test",
    "buyer at demo dot test",
    "Bob bob@example.com",
]


@pytest.mark.parametrize("name", EMAILS)
def test_email_addresses_are_refused(client, member, name):
    _assert_refused(_post(client, name), member, name, "cannot be an e-mail address")


RESERVED = [
    ("Handoff", "handoff"),
    ("Handoff Support", "handoff"),
    ("H4nd0ff", "handoff"),
    ("H a n d o f f", "handoff"),
    ("ＨＡＮＤＯＦＦ", "handoff"),
    ("Moderator Mo", "moderator"),
    ("M0derat0r", "moderator"),
    ("Mοderator", "moderator"),  # Greek omicron
    ("Admin", "admin"),
    ("SuperAdmin", "admin"),
    ("Adm1n Bob", "admin"),
    ("The Staff", "staff"),
    ("Tech Support", "support"),
    ("Official Store", "official"),
    ("Customer Service", "customerservice"),
    ("审核员小王", "审核员"),
    ("审 核 员", "审核员"),
    ("審核員", "審核員"),
    ("管理员", "管理员"),
    ("平台客服", "客服"),
    ("官方旗舰店", "官方"),
    ("平台", "平台"),
]


@pytest.mark.parametrize(("name", "word"), RESERVED)
def test_reserved_words_are_refused(client, member, name, word):
    response = _post(client, name)
    _assert_refused(response, member, name, f"cannot contain “{word}”")


def test_the_refusal_is_in_chinese_for_a_chinese_page(client, member):
    response = _post(client, "客服小美", HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = html.unescape(response.content.decode())
    assert "显示名称不能包含“客服”" in page
    assert 'value="客服小美"' in page
    response = _post(client, "buyer@demo.handoff.test", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "显示名称不能是邮箱地址。" in html.unescape(response.content.decode())


def test_the_default_name_of_members_without_one_is_refused(client, member):
    _assert_refused(_post(client, "user42"), member, "user42", "kept for members without")


@pytest.mark.parametrize(
    "name",
    ["Badminton Fan", "Staffordshire Creators", "Modern Art", "小王工作室", "Studio Lin 2", "José"],
)
def test_ordinary_names_are_accepted(client, demo_seller, member, name):
    response = _post(client, name)
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.display_name == name
    assert member.display_name_key == name_key(name)


def test_keeping_ones_own_name_and_clearing_it_are_fine(client, member):
    assert _post(client, "Plain  Name").status_code == 302  # same key as the saved one
    assert _post(client, "").status_code == 302
    member.refresh_from_db()
    assert member.display_name == "" and member.display_name_key == ""


def test_staff_may_use_the_reserved_words_but_not_a_members_name(client, demo_seller):
    from allauth.mfa.totp.internal.auth import TOTP

    from tests.totp import TOTP_SECRET

    staff = UserFactory(is_staff=True, display_name="Staff One")
    TOTP.activate(staff, TOTP_SECRET)
    client.force_login(staff)  # password only: an ordinary member's rules
    assert "cannot contain" in html.unescape(_post(client, "Handoff Support").content.decode())
    force_login_with_second_factor(client, staff)
    assert _post(client, "Handoff Support").status_code == 302
    staff.refresh_from_db()
    assert staff.display_name == "Handoff Support"
    assert "Another member" in html.unescape(_post(client, "demo seller").content.decode())


def test_the_admin_applies_the_rule_to_a_changed_name(demo_seller):
    from tests.security.world import make_staff

    admin = make_staff(superuser=True, display_name="Root")
    target = UserFactory(display_name="Target")
    client = Client()
    force_login_with_second_factor(client, admin)
    url = f"/admin/accounts/user/{target.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        email=target.email, display_name="DEMO seller", is_active="on", date_joined_0="", groups=[]
    )
    data = {k: v for k, v in data.items() if not isinstance(v, list)}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Another member already uses this name" in html.unescape(response.content.decode())
    target.refresh_from_db()
    assert target.display_name == "Target"
    data["display_name"] = "Target Renamed"
    response = client.post(url, data)
    assert response.status_code == 302, html.unescape(response.content.decode())[:3000]
    target.refresh_from_db()
    assert target.display_name == "Target Renamed"


@pytest.mark.django_db(transaction=True)
def test_two_members_claiming_look_alike_names_at_once_only_one_gets_it():
    first, second = UserFactory(display_name="A"), UserFactory(display_name="B")
    barrier = threading.Barrier(2)
    outcomes = []

    def claim(user, name):
        try:
            barrier.wait()
            services.update_display_name(user=user, display_name=name)
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001 - the refusal is the expected outcome
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=claim, args=(first, "Twin Name")),
        threading.Thread(target=claim, args=(second, "twin  name")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ValidationError", "ok"]
    assert User.objects.filter(display_name_key=name_key("Twin Name")).count() == 1


def test_the_service_refuses_too(demo_seller):
    from django.core.exceptions import ValidationError

    user = UserFactory(display_name="Someone")
    with pytest.raises(ValidationError):
        services.update_display_name(user=user, display_name="Demo Seller")
    with pytest.raises(ValidationError):
        validate_display_name("moderator", user=user)
    user.refresh_from_db()
    assert user.display_name == "Someone"
