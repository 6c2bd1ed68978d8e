"""A visitor signs up, verifies the e-mail, logs in and switches to Chinese."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.browser.journey_helpers import SHOTS
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_signs_up_verifies_logs_in_and_switches_to_chinese(live_server, page):
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Buy and sell creator accounts")
    page.get_by_role("link", name="Sign up").first.click()

    page.locator("#id_email").fill("visitor@example.com")
    page.locator("#id_password1").fill(TEST_PASSWORD)
    page.locator("#id_password2").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify your e-mail address")

    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    page.goto(live_server.url + path)
    page.get_by_role("button", name="Confirm").click()

    page.goto(live_server.url + "/accounts/login/")
    page.locator("#id_login").fill("visitor@example.com")
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.get_by_label("Language").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_contain_text("买卖创作者账号")
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    page.screenshot(path=str(SHOTS / "home-zh-hans.png"), full_page=True)
    # The hero's three steps are readable: their text is not the colour of their box
    # (a page's own `.steps` rules once turned the boxes white under white text).
    colours = page.evaluate(
        """() => [...document.querySelectorAll('.hero .steps li')].map(li => {
            const box = getComputedStyle(li), text = getComputedStyle(li.querySelector('span'));
            return [box.backgroundColor, text.color];
        })"""
    )
    assert len(colours) == 3
    for background, colour in colours:
        assert background != "rgb(255, 255, 255)" and background != colour, colours
