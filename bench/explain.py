"""EXPLAIN (ANALYZE, BUFFERS) of the SQL each catalogue filter really sends.

Each URL goes through the whole stack once (Django's test client, production
settings, the fragment cache off); every statement that reads ``listings_listing`` is explained as sent.
"""

from __future__ import annotations

import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

_INDEX = re.compile(
    r"(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)"
)
_SEQ = re.compile(r"Seq Scan on (\w+)")
_EXEC = re.compile(r"Execution Time: ([\d.]+) ms")


def explain_url(url: str) -> dict:
    client = Client(HTTP_HOST="127.0.0.1")
    # The fragment cache (on by default in production with Redis) would answer
    # from Redis and send no SQL to explain.
    with override_settings(FRAGMENT_CACHE=False), CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    statements = []
    for query in ctx.captured_queries:
        sql = query["sql"]
        if "listings_listing" not in sql or not sql.lstrip(" (").upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)  # noqa: S608 - our own captured SQL
            plan = "\n".join(row[0] for row in cursor.fetchall())
        executed = _EXEC.search(plan)
        statements.append(
            {
                "sql": sql,
                "plan": plan,
                "indexes": sorted(set(_INDEX.findall(plan))),
                "seq_scans": sorted(set(_SEQ.findall(plan))),
                "execution_ms": float(executed.group(1)) if executed else None,
            }
        )
    return {
        "url": url,
        "status": response.status_code,
        "queries": len(ctx.captured_queries),
        "statements": statements,
    }


def rows_statement(explained: dict) -> dict:
    """The statement that reads the page's rows (not the capped count, which the
    catalogue sends first, nor a search's highest id); {} when none was captured.
    For a search ranked by relevance it is the window (rows and count in one)."""
    statements = explained.get("statements") or []
    for statement in statements:
        if not statement["sql"].lstrip().upper().startswith(("SELECT COUNT", "SELECT MAX")):
            return statement
    return statements[0] if statements else {}


def count_statement(explained: dict) -> dict:
    """The capped count's statement; {} when there was none."""
    for statement in explained.get("statements") or []:
        if statement["sql"].lstrip().upper().startswith("SELECT COUNT"):
            return statement
    return {}
