"""Through PgBouncer in transaction mode (.ci/pgbouncer.sh runs this file with the
key-flow tests of escrow and security): what breaks there and the settings that
keep it from breaking.

In transaction mode two statements outside a transaction may run on different
server connections. A server-side cursor (``QuerySet.iterator()`` outside atomic:
DECLARE … WITH HOLD, then FETCH) is declared on one and fetched from another; any
session state (SET, advisory locks, prepared statements) is lost the same way."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection, connections, transaction

from accounts.models import User
from tests.conftest import REQUIRE_SERVICES
from tests.factories import UserFactory

THROUGH_PGBOUNCER = os.environ.get("HANDOFF_PGBOUNCER") == "1"

pytestmark = [
    pytest.mark.pgbouncer,
    pytest.mark.skipif(
        not THROUGH_PGBOUNCER and not REQUIRE_SERVICES,
        reason="runs through PgBouncer: bash .ci/pgbouncer.sh",
    ),
]


def _through_pgbouncer() -> None:
    if not THROUGH_PGBOUNCER:
        pytest.fail("this group runs through PgBouncer (.ci/pgbouncer.sh)")
    with connection.cursor() as cursor:
        cursor.execute("SHOW port")
        server_port = cursor.fetchone()[0]
    # The server's own port differs from the one the site connects to.
    assert str(server_port) != str(connection.settings_dict["PORT"])


def _iterate_while_another_transaction_holds_a_server() -> list[int]:
    """Iterate users one row per fetch; between the fetches another connection holds
    the server connection the cursor was declared on."""
    seen: list[int] = []
    hold, release = threading.Event(), threading.Event()

    def other():
        try:
            with transaction.atomic():
                User.objects.exists()
                hold.set()
                release.wait(10)
        finally:
            connections.close_all()

    rows = User.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=1)
    seen.append(next(rows))  # DECLARE (and the first FETCH)
    thread = threading.Thread(target=other)
    thread.start()
    hold.wait(10)
    try:
        seen.extend(rows)  # the next FETCHes
    finally:
        release.set()
        thread.join()
    return seen


@pytest.mark.django_db(transaction=True)
def test_iterator_outside_a_transaction_works_through_pgbouncer():
    _through_pgbouncer()
    users = sorted(UserFactory().pk for _ in range(4))
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert _iterate_while_another_transaction_holds_a_server() == users


@pytest.mark.django_db(transaction=True)
def test_without_the_setting_a_server_side_cursor_breaks_there():
    """Why DATABASE_POOLER=pgbouncer matters: the same iteration with server-side
    cursors fails (the cursor lives on a server connection the client lost)."""
    _through_pgbouncer()
    for _ in range(4):
        UserFactory()
    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = False
    try:
        with pytest.raises(Exception, match="does not exist"):
            _iterate_while_another_transaction_holds_a_server()
    finally:
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
        connection.close()


def test_the_code_keeps_no_session_state():
    """No SET, session-level advisory lock, LISTEN or temporary table anywhere in the
    site's code (each would apply to whichever server connection ran it). A
    transaction-level ``pg_advisory_xact_lock`` ends with its transaction, which
    transaction pooling keeps on one server connection: allowed."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(
        r"pg_(try_)?advisory_(un)?lock|\bLISTEN |\bNOTIFY |TEMP(ORARY)? TABLE|"
        r"[\"']SET (SESSION|LOCAL|TIME|search_path|statement_timeout|lock_timeout)"
    )
    found = []
    for app in ("kernel", "accounts", "governance", "listings", "escrow", "marketplace"):
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line) and not line.lstrip().startswith("#"):
                    found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert not found, "session state under transaction pooling:\n" + "\n".join(found)
