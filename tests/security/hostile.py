"""Plumbing of the hostile-client probe (test_hostile_clients.py,
test_hostile_posts.py): the roles, what counts as a leak or an off-site redirect,
one client per role, and the URL of every pattern of the resolver."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.test import Client

from . import figures
from .access import build_path, route_params
from .test_access_matrix import _cases, _login
from .world import build_world

#: The roles of the brief: signed out, the buyer, the seller (Alice, the other
#: party of Bob's deals), a user related to nothing, a moderator with MFA.
ROLES = ("anon", "buyer", "party", "third", "mod")

#: What a 5xx page, a debug page or a leaking error message shows.
LEAK = re.compile(
    r"Traceback \(most recent call last\)|File &quot;/|File \"/|psycopg|django\.db\.|"
    r"IntegrityError|DataError|OperationalError|ProgrammingError|UnicodeDecodeError|"
    r"SECRET_KEY|DATABASE_URL|FIELD_ENCRYPTION_KEY|DOCUMENT_HASH_KEY|STRIPE_[A-Z_]*KEY|"
    r"settings\.py|Request Method:|Exception Value|\bSELECT\b[^<]{0,200}\bFROM\b"
)
EVIL_NEXT = (
    "https://evil.example/",
    "//evil.example/",
    "\\\\evil.example/",
    "/\\evil.example/",
    "javascript:alert(1)",
    "http:evil.example",
    "/%0d%0aSet-Cookie:x=1",
    "https://testserver@evil.example/",
    "/%09/evil.example/",
    "%2F%2Fevil.example/",
    " //evil.example/",
    "///evil.example/",
    "/\\/evil.example/",
    "https:/\\evil.example/",
    "data:text/html,<script>alert(1)</script>",
)
UNSAFE_METHODS = ("put", "patch", "delete")
SAFE_METHODS = ("head", "options", "trace")


# ----------------------------------------------------------------- plumbing


class Findings:
    def __init__(self, name: str):
        self.name = name
        self.checked = 0
        self.failures: list[str] = []

    def add(self, label: str, problem: str) -> None:
        self.failures.append(f"{label}: {problem}")

    def check(self, client, method: str, path: str, label: str = "", **kwargs):
        """Send one request; record a 5xx, a raised exception, a leak or an
        off-site redirect. Returns the response (None when the view raised)."""
        self.checked += 1
        label = f"{method.upper()} {path[:160]} {label}".strip()
        try:
            if "raw" in kwargs:  # bytes as sent: the test client would encode them
                raw = kwargs.pop("raw")
                response = client.generic(method.upper(), path, raw, **kwargs)
            else:
                response = getattr(client, method)(path, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a raised exception is a 500
            self.add(label, f"raised {type(exc).__name__}: {str(exc)[:200]}")
            return None
        for problem in problems_of(response):
            self.add(label, problem)
        return response

    def finish(self) -> None:
        figures.record("hostile", checked=self.checked, failed=len(self.failures))
        shown = self.failures[:80]
        assert not self.failures, (
            f"{self.name}: {len(self.failures)} of {self.checked} hostile requests failed:\n  "
            + "\n  ".join(shown)
        )


def problems_of(response) -> list[str]:
    out = []
    if response.status_code >= 500:
        out.append(f"status {response.status_code}")
    if not getattr(response, "streaming", False):
        body = response.content[:400_000].decode("utf-8", "replace")
        match = LEAK.search(body)
        if match:
            out.append(f"body leaks {match.group(0)[:60]!r} (status {response.status_code})")
    location = response.get("Location")
    if location is not None and off_site(location):
        out.append(f"redirects off the site: {location[:120]!r}")
    for name, value in response.items():
        if "\r" in value or "\n" in value:
            out.append(f"header {name} carries a line break")
    return out


def off_site(location: str) -> bool:
    """Whether a browser would leave the site for ``location``: it drops tabs and
    line breaks, leading blanks and control characters, and reads ``\\`` as ``/``."""
    text = re.sub(r"^[\x00-\x20]+", "", re.sub(r"[\t\r\n]", "", location)).replace("\\", "/")
    parts = urlsplit(text)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return True
    return bool(parts.netloc) and parts.hostname not in ("testserver", "localhost", "127.0.0.1")


def clients(world, *, roles=ROLES, **defaults) -> dict[str, Client]:
    """A signed-in client per role (``defaults`` go to ``Client``)."""
    out = {}
    for role in roles:
        client = Client(**defaults)
        user = world.users[role]
        if user is not None:
            _login(client, role, user)
        out[role] = client
    return out


def targets(world) -> list[tuple[object, str, bool]]:
    """(pattern, path, takes POST) for every URL pattern of the resolver: the
    access matrix's first case of each (real objects of the world), one per
    pattern."""
    seen = {}
    for pattern, kwargs, _get, post in _cases(world):
        if pattern.route in seen:
            continue
        if _get is None:  # not in the matrix (that test fails): fill in anything
            kwargs = {name: 1 for name in route_params(pattern.route)}
        seen[pattern.route] = (pattern, build_path(pattern.route, kwargs), post is not None)
    return list(seen.values())


def is_admin(path: str) -> bool:
    return path.startswith("/admin/")


def hostile_world(settings):
    """The security world, with the rate limits off: the probe sends thousands of
    requests per role."""
    settings.ACCOUNT_RATE_LIMITS_ENABLED = False
    settings.RATELIMIT_ENABLED = False
    return build_world()
