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
