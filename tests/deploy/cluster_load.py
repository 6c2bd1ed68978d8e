"""The topology test's load: clients, each from its own loopback address (127.0.0.N),
through the proxy, browsing, checking out and paying; a client retries a request
that failed for want of a node (connection error, 502/503/504), as a browser user
would press reload. Every request is counted."""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import urllib3

RETRY_STATUSES = {502, 503, 504}
RETRIES = 6


@dataclass
class Figures:
    requests: int = 0  # answered requests, retries included
    by_kind: dict = field(default_factory=dict)
    ok: int = 0  # logical requests that ended in 2xx/3xx
    retried: int = 0  # attempts repeated after a lost node
    failed: list = field(default_factory=list)  # logical requests that never succeeded
    server_errors: int = 0  # HTTP 500 answers (never acceptable)
    latencies: list = field(default_factory=list)
    checkouts: int = 0
    payments: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def summary(self) -> dict:
        lat = sorted(self.latencies) or [0.0]
        return {
            "requests": self.requests,
            "ok": self.ok,
            "retried": self.retried,
            "failed": len(self.failed),
            "http_500": self.server_errors,
            "by_kind": dict(sorted(self.by_kind.items())),
            "checkouts": self.checkouts,
            "payments": self.payments,
            "p50_ms": round(lat[len(lat) // 2] * 1000, 1),
            "p95_ms": round(lat[int(len(lat) * 0.95)] * 1000, 1),
        }


class Client:
    """One user agent from one address; ``cookie`` is its session (or none)."""

    def __init__(self, port: int, address: str, figures: Figures, *, cookie: str = ""):
        self.pool = urllib3.HTTPConnectionPool(
            "127.0.0.1",
            port,
            source_address=(address, 0),
            maxsize=1,
            retries=False,
            timeout=urllib3.Timeout(connect=2, read=30),
        )
        self.address = address
        self.figures = figures
        self.cookie = cookie

    def request(self, kind: str, method: str, path: str, fields: dict | None = None):
        """Send until answered by a live node (at most RETRIES times); returns the
        response or None when it never succeeded."""
        headers = {"Accept-Language": "en", "Host": "127.0.0.1"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        body = None
        if fields is not None:
            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        last = ""
        for attempt in range(RETRIES):
            started = time.monotonic()
            try:
                response = self.pool.urlopen(
                    method, path, body=body, headers=headers, redirect=False
                )
            except urllib3.exceptions.HTTPError as exc:
                last = type(exc).__name__
                self._count(kind, None, time.monotonic() - started)
            else:
                self._count(kind, response.status, time.monotonic() - started)
                if response.status not in RETRY_STATUSES:
                    ok = response.status < 400
                    with self.figures.lock:
                        if ok:
                            self.figures.ok += 1
                        else:
                            self.figures.failed.append((kind, path, response.status))
                    return response if ok else None
                last = str(response.status)
            with self.figures.lock:
                self.figures.retried += 1
            time.sleep(0.25 * (attempt + 1))
        with self.figures.lock:
            self.figures.failed.append((kind, path, last))
        return None

    def _count(self, kind, status, seconds):
        with self.figures.lock:
            self.figures.requests += 1
            self.figures.by_kind[kind] = self.figures.by_kind.get(kind, 0) + 1
            self.figures.latencies.append(seconds)
            if status == 500:
                self.figures.server_errors += 1


def browse(client: Client, listing_ids: list[int], rng: random.Random) -> None:
    choice = rng.random()
    if choice < 0.2:
        client.request("home", "GET", "/")
    elif choice < 0.5:
        client.request("catalogue", "GET", f"/listings/?page={rng.randint(1, 3)}")
    else:
        client.request("listing", "GET", f"/listings/{rng.choice(listing_ids)}/")


_DEAL = re.compile(r"/deals/(\d+)/")


def checkout(client: Client, listing_id: int, csrf: str) -> int | None:
    """Buy with escrow, acknowledge the transfer policy, pay with the test card:
    the deal's id once paid (None if a step never succeeded)."""
    token = {"csrfmiddlewaretoken": csrf}
    answer = client.request("checkout", "POST", f"/listings/{listing_id}/buy/", token)
    if answer is None:
        return None
    found = _DEAL.search(answer.headers.get("Location", ""))
    if not found:
        return None
    deal = int(found.group(1))
    with client.figures.lock:
        client.figures.checkouts += 1
    pay = f"/deals/{deal}/pay/"
    if client.request("pay", "POST", pay, {**token, "step": "acknowledge", "acknowledge": "on"}):
        card = {"step": "card", "number": "4242 4242 4242 4242", "exp": "12/34", "cvc": "123"}
        if client.request("pay", "POST", pay, {**token, **card}):
            with client.figures.lock:
                client.figures.payments += 1
            return deal
    return None


def run_load(
    *,
    port: int,
    buyers: list[tuple[int, str, str]],
    listing_ids: list[int],
    for_sale: list[int],
    seconds: float,
    clients: int,
    figures: Figures,
    stop: threading.Event,
) -> list[int]:
    """``clients`` threads for ``seconds``: each browses, and every few requests a
    signed-in client checks out a listing of its own (from ``for_sale``, shared).
    Returns the ids of the deals paid."""
    paid: list[int] = []
    sale_lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def one(index: int) -> None:
        try:
            clients_loop(index)
        except Exception as exc:  # a crash of the load itself fails the run
            with figures.lock:
                figures.failed.append(("client crashed", index, repr(exc)))
            raise

    def clients_loop(index: int) -> None:
        rng = random.Random(index)
        _user, session, csrf = buyers[index % len(buyers)]
        address = f"127.0.0.{10 + index}"
        client = Client(port, address, figures, cookie=f"sessionid={session}; csrftoken={csrf}")
        anonymous = Client(port, address, figures)
        step = 0
        while time.monotonic() < deadline and not stop.is_set():
            step += 1
            if step % 4 == 0:
                with sale_lock:
                    listing = for_sale.pop() if for_sale else None
                if listing is not None:
                    deal = checkout(client, listing, csrf)
                    if deal:
                        with sale_lock:
                            paid.append(deal)
                    continue
            browse(anonymous if step % 2 else client, listing_ids, rng)
            time.sleep(rng.uniform(0.05, 0.2))

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    return paid


def failed_logins(port: int, address: str, count: int) -> list[int]:
    """``count`` failed sign-ins from ``address``: the statuses (429 once limited,
    allauth's ``login_failed`` rate: 10 a minute per client address)."""
    pool = urllib3.HTTPConnectionPool(
        "127.0.0.1", port, source_address=(address, 0), retries=False, timeout=10
    )
    page = pool.urlopen("GET", "/accounts/login/", headers={"Host": "127.0.0.1"})
    cookie = page.headers.get("Set-Cookie", "")
    csrf = re.search(r"csrftoken=([^;]+)", cookie).group(1)
    statuses = []
    for n in range(count):
        answer = pool.urlopen(
            "POST",
            "/accounts/login/",
            body=urlencode(
                {
                    "csrfmiddlewaretoken": csrf,
                    "login": f"nobody-{address}-{n}@example.com",
                    "password": "wrong-password-123",
                }
            ),
            headers={
                "Host": "127.0.0.1",
                "Cookie": f"csrftoken={csrf}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{port}/accounts/login/",
            },
            redirect=False,
        )
        # allauth answers a limited failed sign-in with the form and an error, not 429.
        limited = answer.status == 429 or b"Too many failed login attempts" in answer.data
        statuses.append(429 if limited else answer.status)
    return statuses
