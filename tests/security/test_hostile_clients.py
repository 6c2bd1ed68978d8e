"""Hostile HTTP clients: what a scanner, a broken proxy or an attacker sends that a
browser never does, against every URL pattern of the resolver, signed out and
signed in as each role. For every answer: no 5xx, no traceback, SQL or setting
name in the body, no redirect off the site, nothing written by a refused request,
and error pages in the visitor's language.

Categories (docs/security.md, "Hostile clients"):

- methods: HEAD, OPTIONS, PUT, PATCH, DELETE, TRACE on every URL;
- paths and queries: invalid UTF-8 and NUL in the path and the query, overlong,
  negative and zero ids, repeated keys, junk ``page`` values, every catalogue
  filter with junk, 8 KB+ query strings, unicode/RTL search, ``next=`` pointing
  off the site on every URL;
- headers: bad Host, forwarded-header spoofing, absurd ``Accept-Language``,
  htmx headers with junk, ``Range`` / conditional headers, huge and garbage cookies;
- bodies: JSON/XML/wrong content types, broken multipart, oversized bodies, too
  many fields, files for text fields and text for file fields, on every POST
  endpoint;
- replays: a double-clicked POST on every deal, report and appeal step, a POST
  after sign-out, a POST with a token from before sign-out.

The access matrix (test_access_matrix.py) already checks GET/POST per role and
IDOR; the fuzzer (test_fuzz.py) already checks field contents of valid forms.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from . import figures
from .access import build_path, diff, fingerprint, route_params
from .test_access_matrix import _cases, _login
from .world import build_world

pytestmark = pytest.mark.django_db

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


@pytest.fixture
def world(db, settings):
    settings.ACCOUNT_RATE_LIMITS_ENABLED = False  # thousands of requests per role
    settings.RATELIMIT_ENABLED = False
    return build_world()


# ------------------------------------------------------------------ methods


def test_every_method_on_every_url_is_answered_without_a_5xx_or_a_write(world):
    """HEAD, OPTIONS, TRACE (which skip the CSRF check) and PUT, PATCH, DELETE
    (sent with the check off, as a client holding a token) on every URL as every
    role: a page or 405, never a 5xx, and nothing written."""
    found = Findings("methods")
    by_role = clients(world)
    for role, client in by_role.items():
        before = fingerprint()
        for _pattern, path, _post in targets(world):
            if "logout" in path:
                continue  # signing out is what it does (allauth: GET shows a form)
            if is_admin(path) and role != "mod":
                continue  # refused before any view, whoever asks: the staff member
            for method in SAFE_METHODS + UNSAFE_METHODS:
                if method != "head":
                    found.check(client, method, path, f"as {role}")
        changed = diff(before, fingerprint())
        # HEAD is GET without the body (it may log a read as GET does); the
        # admin's pages as GET are the access matrix's.
        for _pattern, path, _post in targets(world):
            if "logout" not in path and not is_admin(path):
                found.check(client, "head", path, f"as {role}")
        if changed:
            found.add(f"methods as {role}", f"wrote {changed}")
    found.finish()


# -------------------------------------------------------- paths and queries

#: In place of each route parameter: overlong, out-of-range, zero, negative,
#: invalid UTF-8, NUL, overlong-encoded dots, traversal.
JUNK_PARAMS = (
    "99999999999999999999",
    "9223372036854775808",
    "2147483648",
    "0",
    "-1",
    "%FF",
    "%00",
    "%C0%AE%C0%AE",
    "..%2F..%2Fetc%2Fpasswd",
)
#: Appended to every URL.
JUNK_QUERIES = (
    "page=1&page=2",
    "page=abc",
    "page=-1",
    "page=0",
    "page=1.5",
    "page=99999999999999999999",
    "page=%00",
    "q=%FF%FE",
    "q=%C0%AE%00",
    "q=%E2%80%AE%D9%85%D8%B1%D8%AD%D8%A8%D8%A7",  # RTL override + Arabic
    "format=%FF&refresh=%00&after=%FF",
    "p=99999999999999999999&p=abc&e=1&o=-%FF",
    "language=%FF%FE&language=..%2F..%2Fx&sort=%E2%80%AE",
    "q=" + "A" * 9000,
    "&".join(f"k{i}=%FF" for i in range(400)),
) + tuple(f"next={value}" for value in EVIL_NEXT)


#: The URL itself bent: no trailing slash (CommonMiddleware's redirect), doubled
#: and backslashed leading slashes, invalid UTF-8 and NUL after it, path
#: parameters, an 8 KB path.
PATH_SHAPES = (
    lambda p: p.rstrip("/") or "/",
    lambda p: p.rstrip("/") + "?next=//evil.example/",
    lambda p: "/" + p,
    lambda p: "/\\evil.example" + p,
    lambda p: p + "%FF",
    lambda p: p + "%00/",
    lambda p: p + ";x=1",
    lambda p: p + "%2e%2e/%2e%2e/",
    lambda p: p + "a" * 8200,
)


def _with_query(path: str, query: str) -> str:
    return f"{path}?{query}"


def test_junk_in_the_path_and_the_query_never_gets_a_5xx(world):
    """Every route parameter replaced with junk, and junk queries (repeated keys,
    bad ``page``, invalid UTF-8, 8 KB+, ``next=`` off the site) on every URL; each
    variant once per URL, the role taking turns (the admin's pages as the
    moderator), so every role meets every kind of junk."""
    found = Findings("paths and queries")
    by_role = clients(world)
    before = fingerprint()
    turn = 0
    for pattern, path, _post in targets(world):
        if "logout" in path:
            continue
        params = route_params(pattern.route)
        junk_params, queries = JUNK_PARAMS, JUNK_QUERIES
        if is_admin(path):  # one ModelAdmin's code behind hundreds of patterns
            junk_params, queries = JUNK_PARAMS[5:8], JUNK_QUERIES[::8]
        variants = [build_path(pattern.route, dict.fromkeys(params, j)) for j in junk_params]
        variants = variants if params else []
        variants += [_with_query(path, query) for query in queries]
        variants += [shape(path) for shape in PATH_SHAPES[:: 4 if is_admin(path) else 1]]
        for variant in variants:
            turn += 1
            role = "mod" if is_admin(path) else ROLES[turn % len(ROLES)]
            found.check(by_role[role], "get", variant, f"as {role}")
    changed = [k for k in diff(before, fingerprint()) if not k.startswith("accounts.auditentry")]
    if changed:
        found.add("paths and queries", f"wrote {changed}")
    found.finish()


def test_every_catalogue_filter_with_junk(world):
    from listings.forms import CatalogueFilterForm

    found = Findings("catalogue filters")
    junk = (
        "",
        "-1",
        "0",
        "1.5",
        "1e400",
        "NaN",
        "99999999999999999999",
        "%FF",
        "%00",
        "\u202eevil",
        "美妆博主",
        "%F0%9F%99%82" * 300,
        "' OR 1=1 --",
        "A" * 5000,
    )
    names = list(CatalogueFilterForm().fields)
    by_role = clients(world, roles=("anon", "buyer"))
    for i, (role, client) in enumerate(by_role.items()):
        for name in names[i :: len(by_role)]:  # each filter once, the roles alternate
            for value in junk:
                for extra in (
                    {},
                    {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "catalogue-results"},
                ):
                    query = f"{name}={value}&{name}={value}&sort=relevance"
                    found.check(client, "get", f"/listings/?{query}", f"as {role}", **extra)
                    found.check(client, "get", f"/?{query}", f"as {role}", **extra)
    found.finish()


# ------------------------------------------------------------------ redirects


#: Views that read a ``next`` (or send back where the visitor came from): every
#: role tries every value on them (on logout, which ends the session, the roles
#: take turns); any other URL gets each value once, the roles taking turns.
NEXT_VIEWS = ("login", "logout", "/i18n/", "reauthenticate", "/watch/", "saved-searches")


def test_no_view_redirects_off_the_site(world):
    """``next`` (and its siblings) off the site, in the query and in a POST body,
    to every URL: any redirect stays on the site."""
    found = Findings("redirects")
    by_role = clients(world)
    turn = 0
    for _pattern, path, post in targets(world):
        reads_next = any(marker in path for marker in NEXT_VIEWS)
        for value in EVIL_NEXT:
            turn += 1
            if reads_next and "logout" not in path:
                roles = ROLES
            elif is_admin(path):
                if turn % 4:  # one ModelAdmin's code behind hundreds of patterns
                    continue
                roles = ("mod",)
            else:
                roles = (ROLES[turn % len(ROLES)],)
            data = {"next": value, "redirect": value, "return_url": value, "language": "en"}
            query = "&".join(f"{k}={v}" for k, v in data.items())
            for role in roles:
                # Signing out is what the logout URL does: a session of its own.
                client = clients(world, roles=(role,))[role] if "logout" in path else by_role[role]
                found.check(client, "get", f"{path}?{query}", f"as {role}")
                if post:
                    found.check(client, "post", path, f"as {role}", data=data)
    found.finish()


# -------------------------------------------------------------------- headers

HOSTILE_HEADERS = (
    {"HTTP_X_FORWARDED_FOR": "1.2.3.4, <script>, ::::, " + "9" * 300},
    {"HTTP_X_FORWARDED_PROTO": "https, http", "HTTP_X_FORWARDED_HOST": "evil.example"},
    {"HTTP_FORWARDED": "for=evil;host=evil.example;proto=https"},
    {"HTTP_ACCEPT_LANGUAGE": "zh-Hant-TW;q=abc, *;q=-1, en;q=1e400"},
    {"HTTP_ACCEPT_LANGUAGE": "*"},
    {"HTTP_ACCEPT_LANGUAGE": "x-" + "a" * 8000},
    {"HTTP_ACCEPT_LANGUAGE": ",,,;;;q=,zh-hans\x00"},
    {
        "HTTP_HX_REQUEST": "true",
        "HTTP_HX_TARGET": "%FF<script>",
        "HTTP_HX_TRIGGER": "\u202e" * 50,
        "HTTP_HX_CURRENT_URL": "javascript:alert(1)",
        "HTTP_HX_BOOSTED": "maybe",
        "HTTP_HX_HISTORY_RESTORE_REQUEST": "true",
        "HTTP_HX_PROMPT": "A" * 5000,
    },
    {"HTTP_HX_REQUEST": "%FF", "HTTP_HX_CURRENT_URL": "http://[::1"},
    {"HTTP_RANGE": "bytes=99999999999999999999-", "HTTP_IF_RANGE": "junk"},
    {"HTTP_RANGE": "bytes=0-0,1-1,2-2", "HTTP_IF_MODIFIED_SINCE": "yesterday"},
    {
        "HTTP_IF_MODIFIED_SINCE": "Mon, 99 Foo 99999 99:99:99 GMT",
        "HTTP_IF_NONE_MATCH": '"x", *, W/',
    },
    {"HTTP_IF_UNMODIFIED_SINCE": "0", "HTTP_IF_MATCH": "%FF"},
    {"HTTP_ACCEPT": "*/*;q=abc, text/html;level=%FF", "HTTP_USER_AGENT": "\x00" * 10},
    {"HTTP_REFERER": "https://evil.example/%FF", "HTTP_ORIGIN": "null"},
    # As a WSGI server passes the bytes it got: one latin-1 character per byte.
    {
        "HTTP_COOKIE": "sessionid=\x00; csrftoken=%FF; ===; ;; django_language=\u202e; messages=a:b".encode().decode(
            "latin-1"
        )
    },
    {"CONTENT_LENGTH": "-1", "HTTP_TRANSFER_ENCODING": "chunked"},
    {"CONTENT_LENGTH": "99999999999999999999", "CONTENT_TYPE": "multipart/form-data"},
)
BAD_HOSTS = ("evil.example", "", "testserver:abc", "[::1", "testserver\r\nX: y", "a" * 300)
BAD_COOKIES = (
    {"sessionid": "garbage"},
    {"sessionid": "a" * 4000},
    {"csrftoken": "%FF" * 10},
    {"django_language": "../../etc/passwd"},
    {"django_language": "zh-hans\x00"},
    {"django_language": "xx" * 500},
    {"messages": "garbage:abc"},
    {"big": "x" * 7000, "big2": "y" * 7000},
)


def test_hostile_headers_and_cookies_on_every_url(world):
    """Each hostile header set, each bad Host and each bad cookie on every URL,
    the role taking turns (the admin's pages as the moderator)."""
    found = Findings("headers")
    by_role = clients(world)
    turn = 0
    for _pattern, path, _post in targets(world):
        if "logout" in path:
            continue
        sets = HOSTILE_HEADERS + tuple({"HTTP_HOST": host} for host in BAD_HOSTS)
        for extra in sets[::5] if is_admin(path) else sets:
            turn += 1
            role = "mod" if is_admin(path) else ROLES[turn % len(ROLES)]
            label = f"as {role} {sorted(extra)}"
            response = found.check(by_role[role], "get", path, label, **extra)
            if response is None or getattr(response, "streaming", False):
                continue
            if b"evil.example" in response.content:
                found.add(f"GET {path} {label}", "echoes a forwarded or Host header")
            if "HTTP_HOST" in extra and response.status_code != 400:
                found.add(f"GET {path} {label}", f"status {response.status_code}, not 400")
    for i, cookies in enumerate(BAD_COOKIES):
        for role in (ROLES[i % len(ROLES)],):
            client = clients(world, roles=(role,))[role]
            for name, value in cookies.items():
                client.cookies[name] = value
            for _pattern, path, _post in targets(world):
                if not is_admin(path) and "logout" not in path:
                    found.check(client, "get", path, f"as {role} cookies {sorted(cookies)}")
    found.finish()


# --------------------------------------------------------------------- bodies

_NAME = re.compile(rb'name="([^"]{1,80})"')


def _field_names(client, path) -> list[str]:
    response = client.get(path)
    if response.status_code != 200 or getattr(response, "streaming", False):
        return ["title", "text", "body", "file", "image", "details"]
    names = {m.decode() for m in _NAME.findall(response.content)}
    return sorted(names - {"csrfmiddlewaretoken"})[:30] or ["title"]


def _bodies(names: list[str]):
    from django.core.files.uploadedfile import SimpleUploadedFile

    boundary = "XyZ"
    yield "json", {"raw": '{"title": 1, "__proto__": {}}', "content_type": "application/json"}
    yield (
        "xml",
        {
            "raw": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
            "content_type": "application/xml",
        },
    )
    yield "text", {"raw": "\x00\xff junk", "content_type": "text/plain"}
    yield (
        "bad urlencoded",
        {
            "raw": b"title=%FF%FE&text=%00&a=%C0%AE&&==&%=",
            "content_type": "application/x-www-form-urlencoded",
        },
    )
    yield "multipart without boundary", {"raw": b"--x\r\n", "content_type": "multipart/form-data"}
    yield (
        "truncated multipart",
        {
            "raw": (
                f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nabc\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n'
                "Content-Type: image/png\r\n\r\n\x89PNG"
            ).encode("latin-1"),
            "content_type": f"multipart/form-data; boundary={boundary}",
        },
    )
    yield (
        "multipart with a bad header",
        {
            "raw": f'--{boundary}\r\nContent-Disposition: form-data; name="%FF\x00"; filename="\x00../../x"\r\n\r\nabc\r\n--{boundary}--\r\n'.encode(
                "latin-1"
            ),
            "content_type": f"multipart/form-data; boundary={boundary}",
        },
    )
    yield (
        "multipart charset junk",
        {"raw": b"a=b", "content_type": "application/x-www-form-urlencoded; charset=x-junk-9"},
    )
    yield (
        "too many fields",
        {
            "raw": "&".join(f"f{i}=1" for i in range(1200)),
            "content_type": "application/x-www-form-urlencoded",
        },
    )
    for length in ("abc", "-1", "99999999999999999999", "0"):
        yield (
            f"Content-Length {length}",
            {
                "raw": b"title=x",
                "content_type": "application/x-www-form-urlencoded",
                "CONTENT_LENGTH": length,
            },
        )
    yield (
        "text as files",
        {"data": {name: SimpleUploadedFile(f"{name}.txt", b"text") for name in names}},
    )
    yield (
        "files as text",
        {
            "data": {name: ["a", "b"] for name in names}
            | {"image": "x", "file": "x", "files": "x", "attachment": "x", "evidence": "x"}
        },
    )


def test_hostile_bodies_on_every_post_endpoint(world, settings):
    """Every POST endpoint (a pattern whose matrix row has a POST column), as every
    role, every hostile body twice: without a CSRF token (what a forging or broken
    client sends: refused, nothing written) and with the check off (a client that
    holds a token: answered without a 5xx)."""
    found = Findings("bodies")
    posts = [(p, path) for p, path, post in targets(world) if post and "logout" not in path]
    by_role = clients(world)
    names = {path: _field_names(by_role["party"], path) for _p, path in posts}
    # The CSRF check refuses before any view, whoever asks: signed out on the
    # site's pages, the moderator on the admin's.
    no_token = clients(world, roles=("anon", "mod"), enforce_csrf_checks=True)
    for role, client in no_token.items():
        before = fingerprint()
        for _pattern, path in posts:
            if is_admin(path) != (role == "mod"):
                continue
            for label, kwargs in _bodies(names[path]):
                found.check(client, "post", path, f"as {role} {label}, no token", **kwargs)
        changed = [
            k for k in diff(before, fingerprint()) if not k.startswith("accounts.auditentry")
        ]
        if changed:
            found.add(f"bodies without a token as {role}", f"wrote {changed}")
    # With a token: each body once per endpoint, the roles taking turns (the
    # admin's pages as the moderator).
    turn = 0
    for _pattern, path in posts:
        for label, kwargs in _bodies(names[path]):
            turn += 1
            role = "mod" if is_admin(path) else ROLES[turn % len(ROLES)]
            found.check(by_role[role], "post", path, f"as {role} {label}", **kwargs)
    # Over the size limits (the real ones, one role: they are refused before any view).
    big = "a=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    client = by_role["buyer"]
    for _pattern, path in posts[:: max(1, len(posts) // 8)]:
        response = found.check(
            client,
            "post",
            path,
            "over DATA_UPLOAD_MAX_MEMORY_SIZE",
            raw=big,
            content_type="application/x-www-form-urlencoded",
        )
        if response is not None and response.status_code not in (400, 403, 404, 405, 302, 413):
            found.add(f"POST {path} oversized", f"status {response.status_code}")
    found.finish()


# -------------------------------------------------------------------- replays


def _replays(w):
    """(role, path, data): the steps a double click or a replayed request hits."""
    rule = w["rule"].pk
    return [
        ("third", f"/listings/{w.pk('listing_dave')}/buy/", {}),
        (
            "buyer",
            f"/deals/{w.pk('deal_pending')}/pay/",
            {"step": "acknowledge", "acknowledge": "on"},
        ),
        (
            "buyer",
            f"/deals/{w.pk('deal_pending')}/pay/",
            {"step": "card", "number": "4242 4242 4242 4242", "exp": "12/34", "cvc": "123"},
        ),
        ("buyer", f"/deals/{w.pk('deal_delivered')}/dispute/", {"statement": "Not as described."}),
        ("buyer", f"/deals/{w.pk('deal_delivered')}/accept/", {}),
        ("buyer", f"/deals/{w.pk('deal_funded')}/refund/", {}),
        ("buyer", f"/deals/{w.pk('deal_released')}/review/", {"rating": "5", "text": "Good."}),
        ("party", f"/deals/{w.pk('deal_released')}/review/reply/", {"text": "Thanks."}),
        (
            "third",
            f"/report/{w['ct_listing'].pk}/{w.pk('listing_published')}/",
            {"rule": rule, "details": "Asked me to pay outside the site."},
        ),
        ("party", f"/standing/decisions/{w.pk('violation')}/appeal/", {"text": "Once more."}),
        ("party", f"/sell/{w.pk('listing_published')}/withdraw/", {}),
    ]


def _quiet(changed):
    return [k for k in changed if not k.startswith(("accounts.auditentry", "escrow.sim"))]


def test_a_double_clicked_post_acts_once(world):
    """The same POST twice in a row: the second answers without a 5xx and writes
    nothing (a second deal, payment, dispute, report, appeal …)."""
    found = Findings("replays")
    by_role = clients(world, roles=("buyer", "party", "third"))
    acted = []
    for role, path, data in _replays(world):
        before = fingerprint()
        found.check(by_role[role], "post", path, f"as {role} (first)", data=data)
        after_first = fingerprint()
        if _quiet(diff(before, after_first)):
            acted.append(path)
        found.check(by_role[role], "post", path, f"as {role} (again)", data=data)
        changed = _quiet(diff(after_first, fingerprint()))
        if changed:
            found.add(f"POST {path} as {role} twice", f"the second wrote {changed}")
    # Most first posts did what they are for (buy, pay, dispute, review, report,
    # withdraw); the rest are refused already (the world's appeal exists, a
    # disputed deal cannot be accepted): the replay must write nothing either way.
    assert len(acted) >= 6, f"only these acted: {acted}"
    found.finish()


def test_a_post_replayed_after_sign_out_or_with_an_old_token_writes_nothing(world):
    """A form posted again after signing out goes to the login page; one posted
    with the token of a previous session gets the CSRF page; neither writes."""
    from tests.factories import TEST_PASSWORD

    found = Findings("replays after sign-out")
    for role, path, data in _replays(world):
        user = world.users[role]
        client = Client(enforce_csrf_checks=True)
        client.get("/accounts/login/")
        response = client.post(
            "/accounts/login/",
            {
                "login": user.email,
                "password": TEST_PASSWORD,
                "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            },
        )
        assert response.status_code == 302, response.status_code
        client.get("/me/")
        old_token = client.cookies["csrftoken"].value
        client.post("/accounts/logout/", {"csrfmiddlewaretoken": old_token})
        before = fingerprint()
        response = found.check(
            client,
            "post",
            path,
            f"as {role} signed out",
            data={**data, "csrfmiddlewaretoken": old_token},
        )
        if response is not None and not response.get("Location", "").startswith("/accounts/login/"):
            found.add(
                f"POST {path} after sign-out", f"status {response.status_code}, not the login page"
            )
        # Signed in again (a new token): the old one is refused.
        client.post(
            "/accounts/login/",
            {
                "login": user.email,
                "password": TEST_PASSWORD,
                "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            },
        )
        response = found.check(
            client,
            "post",
            path,
            f"as {role} old token",
            data={**data, "csrfmiddlewaretoken": old_token},
        )
        if response is not None and response.status_code != 403:
            found.add(f"POST {path} with an old token", f"status {response.status_code}, not 403")
        changed = _quiet(diff(before, fingerprint()))
        if changed:
            found.add(f"POST {path} replayed as {role}", f"wrote {changed}")
    found.finish()


# ------------------------------------------------------------ error language


def test_error_pages_answer_in_the_visitors_language(world):
    """A refused hostile request (a method no page takes, GET on a POST-only URL,
    an id that cannot exist, a bad Host, a POST without a token) gets an HTML
    error page in the visitor's language, not an empty body."""
    found = Findings("error language")
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-Hans-CN,zh;q=0.9"}
    for role, client in clients(world, roles=("anon", "buyer"), enforce_csrf_checks=True).items():
        for pattern, path, post in targets(world):
            if is_admin(path) or "logout" in path or path.startswith("/webhooks/"):
                continue
            requests = [("put", path, {}), ("get", path, {"HTTP_HOST": "evil.example"})]
            params = route_params(pattern.route)
            if params:
                junk = build_path(pattern.route, dict.fromkeys(params, "99999999999999999999"))
                requests.append(("get", junk, {}))
            if post:
                requests.append(("post", path, {"data": {"x": "1"}}))
            for method, url, extra in requests:
                response = found.check(client, method, url, f"as {role}", **zh, **extra)
                if response is None or response.status_code not in (400, 403, 404, 405):
                    continue
                body = response.content.decode("utf-8", "replace")
                if 'lang="zh-hans"' not in body:
                    found.add(
                        f"{method.upper()} {url} as {role}",
                        f"{response.status_code} page not in Chinese",
                    )
    found.finish()


# ------------------------------------------------------------ admin changelists


def _changelists():
    from django.contrib import admin

    yield from admin.site._registry.items()


def _filter_parameters(model_admin) -> list[str]:
    out = []
    for entry in model_admin.list_filter:
        spec = entry[1] if isinstance(entry, tuple) else entry
        field = entry[0] if isinstance(entry, tuple) else entry
        if isinstance(spec, type):
            name = getattr(spec, "parameter_name", None)
            out.extend([name] if name else [f"{field}__exact", f"{field}__gte", f"{field}__isnull"])
        else:
            out.extend(
                [f"{field}__exact", f"{field}__id__exact", f"{field}__gte", f"{field}__isnull"]
            )
    return out


ADMIN_JUNK = ("%FF", "%00", "99999999999999999999", "-1", "abc", "1.5", "\u202e", "A" * 3000)


def test_admin_changelists_take_junk_search_ordering_paging_and_filters(world):
    """Every ModelAdmin's changelist, as the superuser and the moderator: ``q``,
    ``o``, ``p``, ``_to_field``, ``_popup`` and each of its list filters' parameters
    with junk. The admin answers a bad lookup with ``?e=1``; never a 5xx."""
    from django.urls import reverse

    found = Findings("admin changelists")
    by_role = {}
    for role in ("admin", "mod"):
        client = Client()
        _login(client, role, world.users[role])
        by_role[role] = client
    turn = 0
    for model, model_admin in _changelists():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        params = ["q", "o", "p", "_to_field", "_popup"] + _filter_parameters(model_admin)
        for name in params:
            # The two that broke lookups, and the rest taking turns.
            for value in ADMIN_JUNK[1:3] + (ADMIN_JUNK[3 + turn % (len(ADMIN_JUNK) - 3)],):
                turn += 1
                role = ("admin", "mod")[turn % 2]
                found.check(by_role[role], "get", f"{url}?{name}={value}", f"as {role}")
        # An action on ids that cannot exist: refused, nothing written.
        before = fingerprint()
        for action in list(model_admin.get_actions(_request_as(world.users["admin"])))[:3]:
            for ids in (["abc"], ["\x00"], ["99999999999999999999"], ["-1", "1.5"]):
                data = {"action": action, "_selected_action": ids, "index": "0"}
                found.check(by_role["admin"], "post", url, f"action {action} on {ids}", data=data)
        changed = _quiet(diff(before, fingerprint()))
        if changed:
            found.add(f"actions on {url}", f"wrote {changed}")
    found.finish()


def _request_as(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


# ------------------------------------------------------------- htmx and access


def test_htmx_headers_change_no_access_decision(world):
    """Every URL of the access matrix, asked as an htmx request (``HX-Request``,
    ``HX-Target`` of the catalogue's and the chat's fragments, a junk current
    URL), answers each role as the matrix says a plain GET does: a partial is no
    way around an access check."""
    from .access import classify
    from .test_access_matrix import _matches

    found = Findings("htmx access")
    by_role = clients(world)
    htmx = {
        "HTTP_HX_REQUEST": "true",
        "HTTP_HX_TARGET": "catalogue-results",
        "HTTP_HX_CURRENT_URL": "http://testserver/%FF",
    }
    seen = set()
    for pattern, kwargs, get_expected, _post in _cases(world):
        path = build_path(pattern.route, kwargs)
        if get_expected is None or is_admin(path) or "logout" in path or path in seen:
            continue
        seen.add(path)
        for role in ROLES:
            for target in ("catalogue-results", "chat"):
                response = found.check(
                    by_role[role], "get", path, f"as {role}", **{**htmx, "HTTP_HX_TARGET": target}
                )
                if response is None:
                    continue
                actual = classify(response)
                if not _matches(get_expected[role], actual):
                    found.add(
                        f"GET {path} as {role} (htmx {target})",
                        f"expected {get_expected[role]}, got {actual}",
                    )
    found.finish()


# ---------------------------------------------------------------------- races


def _race(client_factory, path, data, n=2):
    """``n`` clients of one user post the same form at the same moment (a double
    click that the browser sent twice); their statuses."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(n)
    statuses: list[int] = []
    clients_ = [client_factory() for _ in range(n)]

    def post(client):
        try:
            barrier.wait(timeout=10)
            statuses.append(client.post(path, data).status_code)
        except Exception as exc:  # noqa: BLE001 - reported as a 500
            statuses.append(500)
            statuses.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(c,)) for c in clients_]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


@pytest.mark.django_db(transaction=True)
def test_the_same_post_twice_at_once_acts_once(settings):
    """Buy, pay, accept, dispute, review and report posted twice at the same moment
    (two connections, real PostgreSQL row locks): one deal, one capture at the
    provider, one acceptance, one dispute, one review, one report; never a 5xx."""
    from escrow.models import Deal, DealEvent, Dispute, Review, SimPaymentIntent
    from governance.models import Report

    from .world import _listing

    settings.ACCOUNT_RATE_LIMITS_ENABLED = False
    settings.RATELIMIT_ENABLED = False
    w = build_world()

    def factory(role):
        def make():
            client = Client()
            _login(client, role, w.users[role])
            return client

        return make

    alice, mod = w.users["party"], w.users["mod"]
    fresh = _listing(alice, mod, title="Alice for the race")
    pending = w["deal_pending"]
    factory("buyer")().post(
        f"/deals/{pending.pk}/pay/", {"step": "acknowledge", "acknowledge": "on"}
    )
    captured = SimPaymentIntent.objects.filter(status="succeeded").count()
    card = {"step": "card", "number": "4242 4242 4242 4242", "exp": "12/34", "cvc": "123"}
    delivered, released = w["deal_delivered"], w["deal_released"]
    accepted = DealEvent.objects.filter(deal=delivered).count()
    cases = [
        (
            "third",
            f"/listings/{fresh.pk}/buy/",
            {},
            lambda: Deal.objects.filter(listing=fresh).count() == 1,
        ),
        (
            "buyer",
            f"/deals/{pending.pk}/pay/",
            card,
            lambda: SimPaymentIntent.objects.filter(status="succeeded").count() == captured + 1,
        ),
        (
            "buyer",
            f"/deals/{delivered.pk}/accept/",
            {},
            lambda: DealEvent.objects.filter(deal=delivered).count() <= accepted + 1,
        ),
        (
            "buyer",
            f"/deals/{released.pk}/review/",
            {"rating": "5", "text": "Good."},
            lambda: Review.objects.filter(deal=released).count() <= 1,
        ),
        (
            "third",
            f"/report/{w['ct_listing'].pk}/{w.pk('listing_published')}/",
            {"rule": w["rule"].pk, "details": "Asked me to pay outside the site."},
            lambda: (
                Report.objects.filter(
                    reporter=w.users["third"], subject_id=str(w.pk("listing_published"))
                ).count()
                <= 1
            ),
        ),
    ]
    failures = []
    for role, path, data, holds in cases:
        statuses = _race(factory(role), path, data)
        if any(not isinstance(s, int) or s >= 500 for s in statuses):
            failures.append(f"POST {path} twice at once as {role}: {statuses}")
        if not holds():
            failures.append(f"POST {path} twice at once as {role}: acted twice")
    # A dispute on a deal that was just delivered: opened once.
    dispute_deal = w["deal_funded"]
    statuses = _race(factory("buyer"), f"/deals/{dispute_deal.pk}/dispute/", {"statement": "No."})
    if any(not isinstance(s, int) or s >= 500 for s in statuses):
        failures.append(f"dispute twice at once: {statuses}")
    if Dispute.objects.filter(deal=dispute_deal).count() > 1:
        failures.append("dispute twice at once: two disputes")
    figures.record("hostile", checked=2 * (len(cases) + 1), failed=len(failures))
    assert not failures, "\n".join(failures)
