"""Security suites: the world fixtures and the summary line of their figures."""

from __future__ import annotations

import os

import pytest

from . import figures

#: Set by ``.ci/faults.sh``: this process owns its PostgreSQL and Redis and may
#: stop them. Anywhere else the fault tests are skipped (and ``.ci/test.sh``
#: deselects them with ``-m "not faults"``).
FAULTS_RUN = os.environ.get("HANDOFF_FAULTS") == "1"


def pytest_collection_modifyitems(config, items):
    if FAULTS_RUN:
        return
    skip = pytest.mark.skip(reason="stops services: run by .ci/faults.sh (make test does)")
    for item in items:
        if item.get_closest_marker("faults"):
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not (FAULTS_RUN and item.get_closest_marker("faults")):
        return
    if report.skipped:  # in the fault run green must mean every scenario ran
        report.outcome = "failed"
        report.longrepr = f"fault scenario skipped: {report.longrepr}"
    if report.when == "call" or (report.when == "setup" and not report.passed):
        figures.record("faults", checked=1, failed=0 if report.passed else 1)


def pytest_terminal_summary(terminalreporter):
    merged = figures.flush()
    if merged:
        terminalreporter.write_line(figures.summary_line(merged))


@pytest.fixture
def security_world(db):
    from .world import build_world

    return build_world()


@pytest.fixture
def world(db, settings):
    """The hostile-client suites' world (``hostile.hostile_world``: rate limits off,
    the probes send thousands of requests per role). ``test_access_matrix`` has its
    own, with the limits on."""
    from .hostile import hostile_world

    return hostile_world(settings)
