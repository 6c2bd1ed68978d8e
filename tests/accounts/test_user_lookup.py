"""``User.objects.get`` is Django's: the same answers as ``.all().get`` for every lookup,
and the signed-in user is read by Django's own ``ModelBackend.get_user``."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import BaseUserManager
from django.forms.models import model_to_dict

from accounts.models import User, UserManager
from tests.factories import VerifiedUserFactory

pytestmark = pytest.mark.django_db


def test_the_manager_does_not_override_get():
    assert "get" not in vars(UserManager)
    assert type(User.objects).get is BaseUserManager.get


def test_get_by_pk_is_the_same_user_as_the_queryset_s_get():
    user = VerifiedUserFactory()
    by_pk = User.objects.get(pk=user.pk)
    by_id_text = User.objects.get(id=str(user.pk))  # as a session holds it
    assert by_pk == by_id_text == user
    assert model_to_dict(by_pk) == model_to_dict(User.objects.all().get(pk=user.pk))
    assert by_pk.verified_until == user.verified_until and by_pk.is_active is True
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=10**12)
    assert User.objects.get(email=user.email) == user
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=user.pk, is_active=False)


def test_the_signed_in_user_is_read_by_django_s_backend(client):
    user = VerifiedUserFactory()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert ModelBackend().get_user(user.pk) == user
    response = client.get("/")
    assert response.wsgi_request.user == user
