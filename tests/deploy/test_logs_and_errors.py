"""Structured logs (LOG_FORMAT=json) and the error-reporting hook (SENTRY_DSN),
both configured from the environment of a real process."""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .test_env_files import _clean_env, _python

LOG_CODE = (
    "import logging; log = logging.getLogger('handoff.test'); "
    "log.warning('deal %s paid', 42, extra={'deal_id': 42, 'obj': object()}); "
    "\ntry:\n    1/0\nexcept ZeroDivisionError:\n    log.exception('it broke')"
)


def test_json_logs_are_one_object_per_line_with_extra_fields():
    result = _python(LOG_CODE, _clean_env(HANDOFF_READ_DOTENV="0", LOG_FORMAT="json"))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    first, second = lines[-2:]
    assert first["message"] == "deal 42 paid"
    assert first["level"] == "WARNING" and first["logger"] == "handoff.test"
    assert first["deal_id"] == 42 and first["obj"].startswith("<object")
    assert "ZeroDivisionError" in second["exception"]


def test_plain_logs_by_default_and_a_bad_format_is_refused():
    plain = _python(LOG_CODE, _clean_env(HANDOFF_READ_DOTENV="0"))
    assert "WARNING handoff.test deal 42 paid" in plain.stderr
    bad = _python("", _clean_env(HANDOFF_READ_DOTENV="0", LOG_FORMAT="xml"))
    assert bad.returncode != 0 and "LOG_FORMAT" in bad.stderr


class _Ingest(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length", 0))
        _Ingest.bodies.append(self.rfile.read(length))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_errors_go_to_the_reporting_hook_only_when_a_dsn_is_set():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ingest)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Ingest.bodies.clear()
    code = LOG_CODE + "\nimport sentry_sdk; sentry_sdk.flush(5)"
    try:
        dsn = f"http://publickey@127.0.0.1:{server.server_port}/1"
        off = _python(
            code + "\nfrom django.conf import settings; print(settings.ERROR_REPORTING)",
            _clean_env(HANDOFF_READ_DOTENV="0"),
        )
        assert off.stdout.strip() == "False" and _Ingest.bodies == []
        on = _python(code, _clean_env(HANDOFF_READ_DOTENV="0", SENTRY_DSN=dsn))
        assert on.returncode == 0, on.stderr
    finally:
        server.shutdown()
    sent = b"".join(gzip.decompress(b) if b[:2] == b"\x1f\x8b" else b for b in _Ingest.bodies)
    assert b"ZeroDivisionError" in sent and b"it broke" in sent
