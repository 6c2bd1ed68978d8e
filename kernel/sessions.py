"""Sessions read from Redis in front of the database: Django's ``cached_db``,
made to ride out a cache outage.

A signed-in request then reads its session without a database round trip (the
checkout and the deal page: docs/performance.md). The database stays the record.
Django's ``cached_db`` turns a cache that is down into a 500 on every signed-in
page (``load`` writes the session back to the cache unguarded, ``delete`` too);
here a cache error is logged and the database answers alone.

A deleted session (a logout) leaves a tombstone in the cache for ``CACHE_SECONDS``,
and a session read from the database goes into the cache with ``add``, which never
replaces what is there: a request that read the row just before a logout cannot
put the session back. A session is kept in the cache for at most
``CACHE_SECONDS``: a logout whose cache write failed (the cache unreachable, not
emptied) leaves a copy there that lapses within that time. Sync only (the site
runs under WSGI); the async methods are Django's.
"""

from __future__ import annotations

import logging

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore

logger = logging.getLogger(__name__)

#: The longest a session is kept in the cache (then read from the database again).
CACHE_SECONDS = 15 * 60
#: What a deleted session's key holds in the cache: "no such session".
TOMBSTONE = "deleted"


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            logger.warning("session cache unavailable: reading the database", exc_info=True)
            data = None
        if data == TOMBSTONE:
            self._session_key = None
            return {}
        if data is not None:
            return data
        row = self._get_session_from_db()
        if row is None:
            return {}
        data = self.decode(row.session_data)
        self._keep(data, self.get_expiry_age(expiry=row.expire_date), replace=False)
        return data

    def save(self, must_create=False):
        DBStore.save(self, must_create)
        self._keep(self._session, self.get_expiry_age())

    def exists(self, session_key):
        if session_key:
            try:
                if self.cache_key_prefix + session_key in self._cache:
                    return True
            except Exception:
                logger.warning("session cache unavailable", exc_info=True)
        return DBStore.exists(self, session_key)

    def delete(self, session_key=None):
        DBStore.delete(self, session_key)
        session_key = session_key or self.session_key
        if session_key is None:
            return
        try:
            self._cache.set(self.cache_key_prefix + session_key, TOMBSTONE, CACHE_SECONDS)
        except Exception:
            logger.error(
                "a deleted session could not be removed from the cache; it lapses there "
                "within %s s",
                CACHE_SECONDS,
                exc_info=True,
            )

    def _keep(self, data, age: int, *, replace: bool = True) -> None:
        seconds = max(0, min(age, CACHE_SECONDS))
        try:
            if replace:
                self._cache.set(self.cache_key, data, seconds)
            else:
                self._cache.add(self.cache_key, data, seconds)
        except Exception:
            logger.warning("session cache unavailable", exc_info=True)
