"""The Redis cache backend, as Django's, keeping one ``redis.Redis`` client per
connection pool, with one more operation (``incr_and_set_many``).

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` around the
pool on every cache call, and building one fills its table of response callbacks:
a few hundred microseconds on this kind of host, on every page that reads the
fragment cache (docs/performance.md). A client is safe to share between threads
(each command takes a connection from the pool), so one per pool is kept.

The values written by ``incr_and_set_many`` are serialised by a serializer this
client builds from the backend's ``serializer`` option, as Django's client does
(the same class, so ``get`` reads them back); the backend's own is not reached into.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis
from django.utils.module_loading import import_string


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, servers, serializer=None, **options) -> None:
        super().__init__(servers, serializer=serializer, **options)
        if isinstance(serializer, str):
            serializer = import_string(serializer)
        if callable(serializer):
            serializer = serializer()
        self.value_serializer = serializer or django_redis.RedisSerializer()
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def incr_and_set_many(self, counter: str, mapping: dict, seconds: int | None) -> None:
        """``counter`` and ``mapping``'s keys are made keys (prefix and version)."""
        pipe = self.get_client(write=True).pipeline(transaction=False)
        pipe.incr(counter)
        for key, value in mapping.items():
            pipe.set(key, self.value_serializer.dumps(value), ex=seconds)
        pipe.execute()


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def incr_and_set_many(self, counter: str, mapping: dict, timeout: int) -> None:
        """Add one to ``counter`` (made if missing) and set ``mapping``, in one round
        trip (a pipeline). Django's ``incr`` alone takes two (EXISTS, then INCRBY) and
        ``set_many`` a third: the fragment cache's invalidation after every commit
        that changes a listing paid for all three."""
        self._cache.incr_and_set_many(
            self.make_and_validate_key(counter),
            {self.make_and_validate_key(key): value for key, value in mapping.items()},
            self.get_backend_timeout(timeout),
        )
