"""The group page's permission picker says what each permission allows in the
administrator's language (Django stores the names in English)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def _options(client, language: str) -> list[str]:
    client.cookies["django_language"] = language
    response = client.get("/admin/auth/group/add/")
    assert response.status_code == 200
    select = re.search(
        r'<select[^>]*name="permissions".*?</select>', response.content.decode(), re.S
    )
    assert select is not None
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(0))


def test_the_permission_picker_reads_in_the_administrators_language(client):
    from tests.security.world import make_staff
    from tests.totp import force_login_with_second_factor

    force_login_with_second_factor(client, make_staff(superuser=True))

    zh = _options(client, "zh-hans")
    assert not [o for o in zh if "Can " in o]  # no permission left in English
    assert any(o.endswith("| 可以裁决申诉") for o in zh)  # one a model declares
    assert any(o.endswith("| 可以查看举报") for o in zh)  # one of Django's four
    assert any("可以添加" in o for o in zh)

    en = _options(client, "en")
    assert any(o.endswith("| Can decide appeals") for o in en)
    assert any(o.endswith("| Can view report") for o in en)
    assert len(en) == len(zh)


def test_a_permission_without_a_model_keeps_its_stored_name():
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    from accounts.admin.groups import permission_name

    gone = ContentType.objects.create(app_label="retired", model="thing")
    permission = Permission.objects.create(
        content_type=gone, codename="add_thing", name="Can add thing"
    )
    assert permission_name(permission) == "Can add thing"
