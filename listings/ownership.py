"""Ownership proof: a one-time code the seller puts in the account's bio.

A moderator checks the bio and marks ownership proven (admin). Where a platform
allows reading a public bio automatically, an ``OwnershipChecker`` can do it: set
``LISTING_OWNERSHIP_CHECKER`` to a dotted path. The default is none (manual only).
The checker is called outside any transaction and must not raise for "not found".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

# No 0/O, 1/I/L: the seller copies this by hand into a bio.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_ownership_code() -> str:
    return "HANDOFF-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


@dataclass(frozen=True)
class OwnershipCheckResult:
    proven: bool
    detail: str = ""


class OwnershipChecker:
    """Interface of an automatic checker (e.g. reading a public profile's bio)."""

    def supports(self, platform: str) -> bool:  # pragma: no cover - interface
        return False

    def check(self, *, platform: str, handle: str, code: str) -> OwnershipCheckResult:
        raise NotImplementedError  # pragma: no cover - interface


@lru_cache(maxsize=1)
def get_ownership_checker() -> OwnershipChecker | None:
    path = getattr(settings, "LISTING_OWNERSHIP_CHECKER", "")
    return import_string(path)() if path else None
