"""Numbers, money and account wording as a Chinese reader expects them
(docs/glossary.md), without changing what an English reader sees."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template
from django.utils import translation

from kernel.money import compact_number, short_duration


def render(source: str, lang: str, **context) -> str:
    with translation.override(lang):
        return Template(source).render(Context(context))


@pytest.mark.parametrize("library", ["handoff", "listings_tags", "escrow_tags"])
def test_money_never_wraps_inside_in_html(library):
    html = render(f"{{% load {library} %}}{{{{ amount|money:'USD' }}}}", "zh-hans", amount=980000)
    assert html.startswith('<span class="money">') and html.endswith("</span>")
    assert "9,800" in html and "美元" in html


def test_money_is_plain_text_where_autoescape_is_off():
    # Plain-text e-mails turn autoescape off: no markup in them.
    source = "{% load escrow_tags %}{% autoescape off %}{{ amount|money:'USD' }}{% endautoescape %}"
    assert render(source, "en", amount=980000) == "US$9,800.00"


@pytest.mark.parametrize(
    "number, en, zh",
    [
        (0, "0", "0"),
        (999, "999", "999"),
        (9_800, "9.8K", "9,800"),
        (12_000, "12K", "1.2万"),
        (12_345, "12.3K", "1.2万"),
        (99_999, "99.9K", "9.9万"),
        (2_100_000, "2.1M", "210万"),
        (123_456_789, "123M", "1.2亿"),
        (15_000_000_000, "15B", "150亿"),
    ],
)
def test_large_counts_in_wan_for_chinese_and_k_for_english(number, en, zh):
    with translation.override("en"):
        assert compact_number(number) == en
    with translation.override("zh-hans"):
        assert compact_number(number) == zh


def test_card_counts_use_the_readers_units():
    source = "{% load listings_tags %}{{ n|compact }}"
    assert render(source, "zh-hans", n=12_000) == "1.2万"
    assert render(source, "en", n=12_000) == "12K"


def test_short_durations_are_translated():
    with translation.override("zh-hans"):
        assert short_duration(4 * 3600) == "4小时"
        assert short_duration(2 * 86400 + 3 * 3600) == "2天3小时"
        assert short_duration(3 * 86400) == "3天"
    with translation.override("en"):
        assert short_duration(4 * 3600) == "4 h"
        assert short_duration(3 * 86400) == "3 d"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
)
def test_account_pages_say_youxiang_and_nin(client, path):
    client.cookies["django_language"] = "zh-hans"
    html = client.get(path).content.decode()
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    assert "邮箱" in main
    for wrong in ("电子邮件", "Email", "E-mail", "帐", "你"):
        assert wrong not in main, wrong


@pytest.mark.django_db
def test_e_mail_management_page_says_youxiang(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    client.cookies["django_language"] = "zh-hans"
    html = client.get("/accounts/email/").content.decode()
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    assert "添加邮箱" in main
    for wrong in ("Email", "电子邮件", "帐", "你"):
        assert wrong not in main, wrong


@pytest.mark.django_db
def test_signup_sentence_ends_with_a_full_width_stop(client):
    client.cookies["django_language"] = "zh-hans"
    html = client.get("/accounts/signup/").content.decode()
    assert "已经有一个账号？请" in html and "登录</a>。" in html


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_full_numbers_group_thousands_with_commas_in_both_languages(lang):
    source = "{% load humanize %}{{ n|intcomma }} · {{ d|date:'YEAR_MONTH_FORMAT' }}"
    import datetime as dt

    text = render(source, lang, n=1_234_567, d=dt.date(2026, 12, 1))
    assert text.startswith("1,234,567 · ")
    assert text.endswith("2026年12月" if lang == "zh-hans" else "December 2026")


def test_records_name_themselves_in_the_readers_language():
    """What admin breadcrumbs, report subjects and titles show of a record."""
    from escrow.models import Deal, DealMessage, Dispute, Payout

    records = [
        (DealMessage(pk=3, deal_id=1), "message 3 on deal 1", "交易 1 的第 3 号消息"),
        (Deal(pk=7), "deal #7", "交易 #7"),
        (Dispute(pk=1, deal_id=8, kind="dispute"), "Dispute #1 (deal 8)", "争议 #1（交易 8）"),
        (Payout(pk=2, status="pending"), "payout 2 (Scheduled)", None),
    ]
    for record, en, zh in records:
        with translation.override("en"):
            assert str(record) == en
        with translation.override("zh-hans"):
            text = str(record)
            assert not re.search(r"\b(deal|message|payout)\b", text), text
            if zh:
                assert text == zh


def test_a_month_and_a_review_name_their_dates_in_the_readers_language():
    import datetime as dt

    from django.utils import timezone

    from accounts.models import User
    from escrow.models import Review
    from governance.models import TransparencySnapshot

    month = TransparencySnapshot(month=dt.date(2026, 11, 1))
    review = Review(rating=5, created_at=timezone.make_aware(dt.datetime(2026, 12, 7, 12)))
    review.seller = User(display_name="Lin")
    with translation.override("zh-hans"):
        assert str(month) == "2026年11月"
        assert "2026年12月7日" in str(review)
    with translation.override("en"):
        assert str(month) == "November 2026"
        assert "2026-12-07" not in str(review)


def test_form_labels_end_with_a_full_width_colon_in_chinese():
    from django import forms

    class Form(forms.Form):
        price = forms.IntegerField(label="Price")

    with translation.override("zh-hans"):
        assert Form()["price"].label_tag().endswith("：</label>")
    with translation.override("en"):
        assert Form()["price"].label_tag().endswith(":</label>")


def test_brackets_after_text_are_full_width_in_chinese():
    # "截止时间：2026年12月10日 11:17 (2天03:58:07)": half-width brackets around
    # Chinese, with a space before them, on the deal page's deadline.
    source = "{% load handoff %}x{% paren %}{{ inner }}{% endparen %}"
    assert render(source, "zh-hans", inner="2天") == "x（2天）"
    assert render(source, "en", inner="2 d") == "x (2 d)"


def test_short_dates_are_never_ambiguous():
    # "12/08/2026" on the seller's listings beside "Dec. 8, 2026" on the deal page.
    import datetime as dt

    from django.utils.formats import date_format

    day = dt.date(2026, 12, 8)
    with translation.override("en"):
        assert date_format(day, "SHORT_DATE_FORMAT") == "Dec. 8, 2026"
    with translation.override("zh-hans"):
        assert date_format(day, "SHORT_DATE_FORMAT") == "2026年12月8日"
