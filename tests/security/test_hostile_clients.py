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
- redirects: ``next`` and its siblings off the site, in queries and bodies;
- headers: bad Host, forwarded-header spoofing, absurd ``Accept-Language``,
  htmx headers with junk (and the access decision under htmx), ``Range`` /
  conditional headers, huge and garbage cookies;
- error pages in the visitor's language.

Bodies, admin changelists and actions, replays and races: test_hostile_posts.py.
Plumbing: hostile.py.

The access matrix (test_access_matrix.py) already checks GET/POST per role and
IDOR; the fuzzer (test_fuzz.py) already checks field contents of valid forms.
"""

from __future__ import annotations

import pytest

from .access import build_path, diff, fingerprint, route_params
from .hostile import (
    EVIL_NEXT,
    ROLES,
    SAFE_METHODS,
    UNSAFE_METHODS,
    Findings,
    _cases,
    clients,
    is_admin,
    targets,
)

pytestmark = pytest.mark.django_db


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
