"""Every field of our models is labelled in the moderator's language in the admin
(columns, filters, read-only forms), with or without an explicit verbose_name."""

import re

import pytest
from django.apps import apps
from django.utils import translation

from marketplace.field_labels import APPS

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_field_label_reads_in_chinese():
    english = []
    with translation.override("zh-hans"):
        for model in apps.get_models():
            if model._meta.app_label not in APPS:
                continue
            for field in model._meta.get_fields():
                if not hasattr(field, "_verbose_name"):
                    continue  # a reverse relation: labelled by the other side
                label = str(field.verbose_name)
                if label != "ID" and not CJK.search(label):
                    english.append(f"{model._meta.label}.{field.name}: {label!r}")
    assert english == []


def test_every_help_text_reads_in_chinese():
    # Read under a field on the admin's change pages.
    english = []
    with translation.override("zh-hans"):
        for model in apps.get_models():
            if model._meta.app_label not in APPS:
                continue
            for field in model._meta.concrete_fields:
                text = str(field.help_text)
                if text and not CJK.search(text):
                    english.append(f"{model._meta.label}.{field.name}: {text!r}")
    assert english == []


@pytest.mark.django_db
def test_labels_change_no_migration():
    # Only the label is translated, not the verbose_name argument that
    # migrations record.
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", *APPS)


@pytest.mark.django_db
def test_admin_titles_put_no_spaces_around_a_chinese_name(client):
    # Django's Chinese reads "选择 商品 来修改", "商品 管理", "修改 商品".
    from tests.security.world import make_staff
    from tests.totp import force_login_with_second_factor

    force_login_with_second_factor(client, make_staff(superuser=True))
    client.cookies["django_language"] = "zh-hans"
    titles = []
    for path in ("/admin/listings/listing/", "/admin/listings/", "/admin/governance/rule/add/"):
        html = client.get(path).content.decode()
        titles.append(re.search(r"<title>(.*?)</title>", html, re.S).group(1))
    for title in titles:
        assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", title.split("|")[0]), titles


def _our_form_classes():
    """Every form class our apps define (the URLconf imports the views and, through
    the admin, every admin form)."""
    import django.forms
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view and admin module
    seen, todo = set(), [django.forms.BaseForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    owners = (*APPS, "marketplace", "kernel")
    return sorted(
        (c for c in seen if c.__module__.split(".")[0] in owners and hasattr(c, "base_fields")),
        key=lambda c: f"{c.__module__}.{c.__qualname__}",
    )


def test_every_form_field_reads_in_the_readers_language():
    # A label or help text formatted when the module is imported
    # (``_("… %(n)s …") % {...}`` in a class body) is frozen in the language of that
    # moment, English: the appeal form's "Optional: up to 5 images …" read so on
    # its Chinese page.
    english = []
    forms = _our_form_classes()
    assert len(forms) > 20
    words = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}")
    with translation.override("zh-hans"):
        for form in forms:
            for name, field in form.base_fields.items():
                texts = [field.label, field.help_text, getattr(field, "empty_label", None)]
                texts += [field.widget.attrs.get(a) for a in ("placeholder", "title", "aria-label")]
                if not hasattr(field, "queryset"):  # a model's rows are what people typed
                    for _value, label in getattr(field, "choices", ()):
                        texts += (
                            [v for _, v in label] if isinstance(label, (list, tuple)) else [label]
                        )
                for text in texts:
                    text = str(text or "")
                    if words.search(text) and not CJK.search(text):
                        english.append(f"{form.__module__}.{form.__qualname__}.{name}: {text!r}")
    assert english == [], "\n".join(english)


@pytest.mark.django_db
def test_admin_pages_say_nothing_in_english_to_a_chinese_moderator(client):
    # Text a screen reader reads out counts too: the search icon's alt ("Search",
    # written in English by Django's template), the index table's column names
    # ("Model name", "Add link"), and Django's "在应用程序 商品 中的模型".
    from tests.marketplace.test_walk import Page, _english
    from tests.security.world import make_staff
    from tests.totp import force_login_with_second_factor

    force_login_with_second_factor(client, make_staff(superuser=True))
    client.cookies["django_language"] = "zh-hans"
    problems = []
    for path in ("/admin/", "/admin/listings/listing/", "/admin/governance/report/"):
        html = client.get(path).content.decode()
        if "</strong>." in html or "欢迎，<strong>" not in html:
            problems.append(f"{path}: the greeting is not one Chinese sentence")
        page = Page()
        page.feed(html)
        for text in page.texts:
            problems += [f"{path}: {part!r}" for part in _english(text, set())]
            if re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", text):
                problems.append(f"{path}: spaces around a Chinese name in {text!r}")
            brands = {"Handoff", "TikTok", "Instagram", "YouTube", "Twitch"}
            if re.fullmatch(r"[A-Za-z][A-Za-z ’']{2,}", text) and text not in brands:
                problems.append(f"{path}: {text!r}")  # one English word ("Search")
    assert problems == [], "\n".join(problems)


def test_every_choice_of_our_models_reads_in_chinese():
    # The admin's columns and filters show them: the deal notifications' e-mail
    # states ("Pending", "Given up") had no translation (no "e-mail" context).
    names = {"TikTok", "Instagram", "YouTube", "Twitch", "Stripe Identity"}
    english = []
    with translation.override("zh-hans"):
        for model in apps.get_models():
            if model._meta.app_label not in APPS:
                continue
            for field in model._meta.concrete_fields:
                for value, label in field.choices or ():
                    label = str(label)
                    if (
                        label not in names
                        and re.search(r"[A-Za-z]{2,}", label)
                        and not CJK.search(label)
                    ):
                        english.append(f"{model._meta.label}.{field.name}={value}: {label!r}")
    assert english == []


def test_every_box_to_tick_says_what_ticking_means():
    # An unticked box answered "这个字段是必填项。" ("This field is required.")
    # under the transfer policy on the payment page: a box says what to confirm.
    from django import forms as django_forms

    default = str(django_forms.Field.default_error_messages["required"])
    generic = []
    for form in _our_form_classes():
        for name, field in form.base_fields.items():
            if isinstance(field, django_forms.BooleanField) and field.required:
                if str(field.error_messages["required"]) == default:
                    generic.append(f"{form.__module__}.{form.__qualname__}.{name}")
    assert generic == []
