"""Security suites: the world fixture and the summary line of their figures."""

from __future__ import annotations

import pytest

from . import figures


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "faults: stops and restarts services of its own (run by .ci/faults.sh)"
    )


def pytest_terminal_summary(terminalreporter):
    merged = figures.flush()
    if merged:
        terminalreporter.write_line(figures.summary_line(merged))


@pytest.fixture
def security_world(db):
    from .world import build_world

    return build_world()
