"""Shared test plumbing: real PostgreSQL, real Redis, a real Celery worker, real Chromium.

Under ``make test`` (HANDOFF_REQUIRE_SERVICES=1) a missing service fails the run
instead of skipping tests, so a green run always means every group ran.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
REQUIRE_SERVICES = os.environ.get("HANDOFF_REQUIRE_SERVICES") == "1"


def pytest_configure(config):
    from django.conf import settings

    # Hashing cost is not under test; the real hashers are checked by Django.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if not REQUIRE_SERVICES:
        return
    problems = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL does not point at PostgreSQL")
    if not settings.REDIS_URL:
        problems.append("REDIS_URL is not set")
    else:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            problems.append(f"Redis is unreachable: {exc}")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        problems.append(f"Chromium not found at {CHROMIUM}")
    if problems:
        pytest.exit("Required test services missing: " + "; ".join(problems), returncode=3)


# ----------------------------------------------------------------- celery worker


@pytest.fixture(scope="session")
def _celery_worker_session():
    from celery.contrib.testing.worker import start_worker

    from marketplace.celery import app

    if not app.conf.broker_url.startswith("redis"):
        if REQUIRE_SERVICES:
            pytest.fail("The Celery broker is not Redis under make test")
        pytest.skip("worker tests need REDIS_URL (run them with make test)")
    app.control.purge()
    with start_worker(
        app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=20
    ) as worker:
        _worker_state["running"] = True
        _worker_state["consuming"] = True
        try:
            yield worker
        finally:
            _worker_state["running"] = False


_worker_state = {"running": False, "consuming": True}


def _worker_consumes(worker, on):
    """Start or stop the session worker taking tasks from the queue (remote control,
    answered by the worker's own thread, so nothing is changed under its feet)."""
    if _worker_state["consuming"] == on:
        return
    from marketplace.celery import app

    queue = app.conf.task_default_queue
    command = app.control.add_consumer if on else app.control.cancel_consumer
    replies = command(queue, destination=[worker.hostname], reply=True, timeout=10)
    if not replies:
        pytest.fail(f"the session worker did not answer {command.__name__}({queue!r})")
    _worker_state["consuming"] = on


@pytest.fixture(autouse=True)
def _no_tasks_left_for_the_next_test(request):
    """Once the session's worker runs, it must take tasks only in the tests that ask for
    it: a test without `celery_worker` expects what it enqueues to stay queued (a payout
    the worker ran behind its back raced its own calls), so the worker stops consuming
    for it. And a task a test enqueued but the worker had not reached yet would run
    during a later test, against that test's data: drop what is still queued."""
    if _worker_state["running"] and "celery_worker" not in request.fixturenames:
        _worker_consumes(request.getfixturevalue("_celery_worker_session"), False)
    yield
    if _worker_state["running"]:
        from marketplace.celery import app

        app.control.purge()


@pytest.fixture
def celery_worker(_celery_worker_session, transactional_db):
    """A real worker consuming from real Redis; tests using it commit their data.

    Whatever the test's outcome (a failed assertion included), the worker stops
    taking tasks and finishes the one it runs before the test's database is
    flushed (this teardown runs before ``transactional_db``'s): a task still
    running would otherwise commit its rows after the flush, into the next tests."""
    _worker_consumes(_celery_worker_session, True)
    try:
        yield _celery_worker_session
    finally:
        from marketplace.celery import app

        _worker_consumes(_celery_worker_session, False)
        app.control.purge()
        _wait_until_the_worker_is_idle()


def _wait_until_the_worker_is_idle(timeout: float = 60.0) -> None:
    """Until the in-process worker runs and holds no task (it runs in this process,
    so its request registry is ours to read)."""
    import time

    from celery.worker import state

    deadline = time.monotonic() + timeout
    while state.active_requests or state.reserved_requests:
        if time.monotonic() > deadline:
            pytest.fail(f"the session worker still runs {len(state.active_requests)} task(s)")
        time.sleep(0.05)


# ------------------------------------------------------------------------ browser


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-US", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(autouse=True)
def _default_language():
    """A request through LocaleMiddleware leaves its language active in the thread
    (a server activates one per request anyway): no test inherits another's."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters and cached fragments live in the (shared) cache."""
    from django.core.cache import cache

    cache.clear()
    yield


# -------------------------------------------------------------------- localstripe


@pytest.fixture(scope="session")
def localstripe_url():
    """A stateful fake Stripe (``localstripe --from-scratch``) for the session:
    PaymentIntents, refunds and signed webhooks. It has no Connect: tests stub
    those endpoints at the HTTP layer."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    exe = Path(sys.executable).with_name("localstripe")
    if not exe.exists():
        pytest.fail("localstripe is not installed in the venv (requirements-dev.txt)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [str(exe), "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/v1/customers", timeout=1)  # noqa: S310 - loopback
            break
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP answer (401/400): it is up
                break
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(10)


# ------------------------------------------------------- proof that groups ran

_group_outcomes: dict[str, dict[str, int]] = {"worker": {}, "browser": {}}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    groups = [g for g in _group_outcomes if item.get_closest_marker(g)]
    if not groups:
        return
    if report.skipped and REQUIRE_SERVICES:
        # Under make test a skipped worker/browser test is a failure: green must mean it ran.
        report.outcome = "failed"
        report.longrepr = f"{groups} test skipped under make test: {report.longrepr}"
    if report.when == "call" or (report.when == "setup" and not report.passed):
        for group in groups:
            counts = _group_outcomes[group]
            counts[report.outcome] = counts.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter):
    for group, counts in _group_outcomes.items():
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "none ran"
        terminalreporter.write_line(f"{group} tests: {summary}")
