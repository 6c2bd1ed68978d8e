"""Deployment-test plumbing: a local S3-compatible server (moto's server mode, from
PyPI) for the session. Under make test it must start: a missing one fails the run."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES


@pytest.fixture(scope="session")
def s3_endpoint():
    exe = Path(sys.executable).with_name("moto_server")
    if not exe.exists():
        if REQUIRE_SERVICES:
            pytest.fail("moto_server is not installed (requirements-dev.txt: moto[server])")
        pytest.skip("needs moto[server] (requirements-dev.txt)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [str(exe), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)  # noqa: S310 - loopback
            break
        except OSError as exc:
            if getattr(exc, "code", None):
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("moto_server did not start")
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(10)
