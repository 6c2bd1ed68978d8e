"""The Redis cache backend, as Django's, keeping one ``redis.Redis`` client per
connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` around the
pool on every cache call, and building one fills its table of ~170 response
callbacks: about a tenth of a millisecond, on every page that reads the fragment
cache (docs/performance.md). A client is safe to share between threads (each
command takes a connection from the pool), so one per pool is kept.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def incr_and_set_many(self, counter: str, mapping: dict, timeout: int) -> None:
        """Add one to ``counter`` (made if missing) and set ``mapping``, in one round
        trip (a pipeline). Django's ``incr`` alone takes two (EXISTS, then INCRBY) and
        ``set_many`` a third: the fragment cache's invalidation after every commit
        that changes a listing (a checkout's) paid for all three."""
        client = self._cache.get_client(write=True)
        pipe = client.pipeline(transaction=False)
        pipe.incr(self.make_and_validate_key(counter))
        seconds = self.get_backend_timeout(timeout)
        for key, value in mapping.items():
            pipe.set(
                self.make_and_validate_key(key), self._cache._serializer.dumps(value), ex=seconds
            )
        pipe.execute()
