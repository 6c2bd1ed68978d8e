"""The web side of the benchmark: gunicorn under production settings, wrk against it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRK_DIR = Path(__file__).resolve().parent / "wrk"
THREADS = 2
CONNECTIONS = 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Site:
    """``gunicorn marketplace.wsgi`` with 2 sync workers on 127.0.0.1 (a context
    manager). ``extra_env`` adds to the (production) environment of this process."""

    def __init__(self, *, extra_env: dict[str, str] | None = None, workers: int = 2, log: Path):
        self.port = free_port()
        self.extra_env = extra_env or {}
        self.workers = workers
        self.log = log
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Site:
        env = {**os.environ, **self.extra_env}
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "ab")  # noqa: SIM115 - closed in __exit__ via the process
        self.proc = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "marketplace.wsgi:application",
                "--workers",
                str(self.workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )
        out.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}); see {self.log}")
            try:
                with urllib.request.urlopen(self.url + "/_bench/ceiling", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn did not answer; see {self.log}")
        return self

    def get(self, path: str, *, cookie: str = "") -> tuple[int, bytes]:
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            self.url + path, headers={"Cookie": cookie} if cookie else {}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310 - loopback only
                return r.status, r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wrk(
    url: str,
    *,
    script: str,
    duration: float,
    env: dict[str, str],
    threads: int = THREADS,
    connections: int = CONNECTIONS,
) -> dict:
    """Run wrk once; return requests/s, latency percentiles (ms) and errors."""
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration:g}s",
        "--timeout",
        "5s",
        "-s",
        str(WRK_DIR / script),
        url,
    ]
    proc = subprocess.run(
        cmd,
        env={**os.environ, **env, "BENCH_THREADS": str(threads)},
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=False,
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {proc.stdout}\n{proc.stderr}")
    data = json.loads(line[len("BENCH_JSON ") :])
    seconds = data["duration_us"] / 1e6
    data["rps"] = round(data["requests"] / seconds, 1) if seconds else 0.0
    data["non_2xx_3xx"] = data["errors"]["status"]
    return data
