"""kernel.rows.load_by_pk, and User.objects.get(pk=…) through it: the same
object the ORM returns, columns not read deferred, DoesNotExist as before."""

from __future__ import annotations

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from kernel.rows import load_by_pk
from listings.models import Listing
from tests.factories import ListingFactory, VerifiedUserFactory

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_a_row_loads_as_the_orm_loads_it():
    listing = ListingFactory()
    loaded = load_by_pk(Listing, listing.pk)
    assert _fields(loaded) == _fields(Listing.objects.get(pk=listing.pk))
    assert loaded.handle == listing.handle  # an encrypted field, decrypted as by the ORM
    assert not loaded._state.adding and loaded._state.db == "default"
    assert load_by_pk(Listing, 10**12) is None


def test_columns_not_read_are_deferred_and_load_on_access():
    listing = ListingFactory(title="A deferred title")
    loaded = load_by_pk(Listing, listing.pk, columns=("id", "state", "seller_id"))
    assert loaded.get_deferred_fields() >= {"title", "handle", "price"}
    with CaptureQueriesContext(connection) as queries:
        assert loaded.title == "A deferred title"
    assert len(queries.captured_queries) == 1
    with pytest.raises(ValueError):
        load_by_pk(Listing, listing.pk, columns=("id", "no_such_column"))


def test_user_get_by_pk_is_the_same_user_in_one_statement():
    user = VerifiedUserFactory()
    with CaptureQueriesContext(connection) as queries:
        by_pk = User.objects.get(pk=user.pk)
        by_id_text = User.objects.get(id=str(user.pk))  # as a session holds it
    assert len(queries.captured_queries) == 2
    assert by_pk == by_id_text == user
    assert model_to_dict(by_pk) == model_to_dict(User.objects.filter(pk=user.pk).get())
    assert by_pk.verified_until == user.verified_until and by_pk.is_active is True
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=10**12)
    # Anything else is the ORM's: other lookups, and more than one.
    assert User.objects.get(email=user.email) == user
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=user.pk, is_active=False)
