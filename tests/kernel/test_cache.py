"""The Redis cache backend's additions (``kernel.cache``)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test.utils import override_settings

from listings import fragments

pytestmark = pytest.mark.skipif(
    not hasattr(cache, "incr_and_set_many"), reason="needs Redis (make test sets REDIS_URL)"
)


def test_incr_and_set_many_counts_from_nothing_and_sets_each_value_with_its_timeout():
    cache.delete_many(["t:counter", "t:a", "t:b"])

    cache.incr_and_set_many("t:counter", {"t:a": "one", "t:b": {"n": 2}}, 60)
    cache.incr_and_set_many("t:counter", {}, 60)

    assert cache.get("t:counter") == 2
    assert cache.incr("t:counter") == 3  # still Django's integer
    assert cache.get_many(["t:a", "t:b"]) == {"t:a": "one", "t:b": {"n": 2}}
    raw = cache._cache.get_client()
    assert 0 < raw.ttl(cache.make_key("t:a")) <= 60


@pytest.mark.django_db
@override_settings(FRAGMENT_CACHE=True)
def test_a_touched_listing_gets_a_new_version_and_the_catalogue_a_new_generation(
    django_capture_on_commit_callbacks,
):
    cache.set(fragments._version_key(7), "old", 60)
    before = cache.get(fragments.GEN_KEY) or 0

    with django_capture_on_commit_callbacks(execute=True):
        fragments.touch(listing_ids=[7])

    assert cache.get(fragments.GEN_KEY) == before + 1
    assert cache.get(fragments._version_key(7)) not in (None, "old")
