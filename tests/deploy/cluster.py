"""The topology test (``make cluster``; ``.ci/cluster.sh --short`` in ``make test``).

On this one machine, from the files in deploy/: nginx (deploy/nginx/handoff.conf) in
front of two gunicorn web nodes (deploy/gunicorn.conf.py, each with a local folder
of its own), PgBouncer (deploy/pgbouncer.ini, started by .ci/cluster.sh) in front of
PostgreSQL, a Redis broker (noeviction) and a Redis cache (allkeys-lru), media on a
local S3-compatible server, two Celery workers and two beats started from the
ExecStart lines of deploy/systemd/*.service. Bounded load from several client
addresses; mid-load one web node, one worker and the scheduling beat are killed.
Then: every request succeeded (retried by the client where a node was lost), no
scheduled job skipped or sent twice, no e-mail lost or sent twice, the books
balance and match the provider, rate limits count per client. Figures printed.

Run by .ci/cluster.sh (which exports DATABASE_URL, PGBOUNCER_URL, REDIS_URL):
    python -m tests.deploy.cluster [--short]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from cryptography.fernet import Fernet

from .cluster_checks import (
    check_books,
    check_emails,
    check_schedule,
    email_baseline,
    wait_for_drain,
)
from .cluster_load import Figures, failed_logins, run_load
from .procs import stop

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent


def log(msg: str) -> None:
    print(f"[cluster {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def exec_start(unit: str, **values: str) -> list[str]:
    """The ExecStart command of deploy/systemd/<unit>, with the release folder and
    the systemd specifiers it uses filled in."""
    text = (ROOT / "deploy/systemd" / unit).read_text()
    line = next(x for x in text.splitlines() if x.startswith("ExecStart="))
    command = line.split("=", 1)[1].replace("@APP@", str(ROOT)).replace("%%", "%")
    for key, value in values.items():
        command = command.replace(key, value)
    return [
        str(VENV / Path(a).name) if a.startswith(f"{ROOT}/.venv/bin/") else a
        for a in shlex.split(command)
    ]


class Cluster:
    def __init__(self, work: Path, *, short: bool):
        self.work = work
        self.short = short
        self.procs: dict[str, subprocess.Popen] = {}
        self.port = free_port()
        self.cache_port = free_port()
        self.s3_port = free_port()
        self.web_ports = [free_port(), free_port()]
        self.metrics_token = secrets.token_urlsafe(24)
        self.env = self._env()

    # ------------------------------------------------------------------ set-up

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDOFF_", "PYTEST"))}
        env.update(
            HANDOFF_ENV="production",
            HANDOFF_READ_DOTENV="0",
            DJANGO_SETTINGS_MODULE="marketplace.settings",
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(64),
            FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
            DOCUMENT_HASH_KEY=secrets.token_urlsafe(48),
            SIMULATED_GATEWAY_SECRET=secrets.token_urlsafe(32),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SITE_URL=f"http://127.0.0.1:{self.port}",
            SECURE_SSL_REDIRECT="false",
            DATABASE_URL=os.environ["PGBOUNCER_URL"],
            DATABASE_POOLER="pgbouncer",
            REDIS_URL="",
            BROKER_URL=os.environ["REDIS_URL"],
            CACHE_URL=f"redis://127.0.0.1:{self.cache_port}/0",
            # A killed worker's tasks come back within the test.
            CELERY_VISIBILITY_TIMEOUT="20",
            BEAT_LOCK_SECONDS="10",
            HEARTBEAT_SECONDS="2",
            HEARTBEAT_STALE_SECONDS="8",
            HEALTHZ_HEARTBEATS="true",
            S3_BUCKET="handoff-media",
            S3_PRIVATE_BUCKET="handoff-private",
            S3_ENDPOINT_URL=f"http://127.0.0.1:{self.s3_port}",
            S3_REGION="us-east-1",
            S3_ACCESS_KEY_ID="cluster",
            S3_SECRET_ACCESS_KEY="cluster",  # noqa: S106 - the local S3 server's
            RATE_LIMIT_CHECKOUT="100000/h",
            TRUSTED_PROXY_COUNT="1",
            METRICS_TOKEN=self.metrics_token,
            LOG_FORMAT="json",
            GUNICORN_WORKERS="2",
            GUNICORN_MAX_REQUESTS="400",
        )
        return env

    def node_env(self, node: str, **extra: str) -> dict[str, str]:
        folder = self.work / node
        (folder / "mail").mkdir(parents=True, exist_ok=True)
        return {
            **self.env,
            "HANDOFF_VAR_DIR": str(folder),
            # django-environ drops one leading slash of the path.
            "EMAIL_URL": f"filemail:///{folder / 'mail'}",
            "EMAIL_CLAIM_SECONDS": "20",
            **extra,
        }

    def start(self, name: str, args: list[str], env: dict[str, str]) -> None:
        out = open(self.work / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        try:
            self.procs[name] = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            out.close()

    def manage(self, *args: str, env: dict[str, str]) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args, "--skip-checks"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def set_up(self, listings: int) -> None:
        log("cache Redis (allkeys-lru), S3 server")
        self.start(
            "redis-cache",
            [
                "redis-server",
                str(ROOT / "deploy/redis/cache.conf"),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.cache_port),
                "--maxmemory",
                "64mb",
            ],
            self.env,
        )
        self.start(
            "s3", [str(VENV / "moto_server"), "-H", "127.0.0.1", "-p", str(self.s3_port)], self.env
        )
        direct = {
            **self.node_env("admin"),
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "DATABASE_POOLER": "",
        }
        log("migrate (directly), seed_demo, collectstatic (one release, copied to each node)")
        self.manage("migrate", "--noinput", "-v", "0", env=direct)
        self._wait_http(f"http://127.0.0.1:{self.s3_port}/", "S3 server")
        self._make_buckets()
        self.manage(
            "seed_demo",
            "--allow-production-settings",
            "--listings",
            str(listings),
            "-v",
            "0",
            env=direct,
        )
        self.manage("collectstatic", "--noinput", "-v", "0", env=direct)
        for node in ("web1", "web2"):
            shutil.copytree(
                self.work / "admin/staticfiles",
                self.work / node / "staticfiles",
                dirs_exist_ok=True,
            )

    def _make_buckets(self) -> None:
        import boto3

        s3 = boto3.client(
            "s3",
            endpoint_url=self.env["S3_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id="cluster",
            aws_secret_access_key="cluster",
        )  # noqa: S106
        for bucket in ("handoff-media", "handoff-private"):
            s3.create_bucket(Bucket=bucket)

    def start_nodes(self) -> None:
        for index, node in enumerate(("web1", "web2")):
            env = self.node_env(node, GUNICORN_BIND=f"127.0.0.1:{self.web_ports[index]}")
            self.start(node, exec_start("handoff-web.service"), env)
        for node in ("worker1", "worker2"):
            self.start(
                node, exec_start("handoff-worker.service", **{"%H": node}), self.node_env(node)
            )
        for node in ("beat1", "beat2"):
            self.start(node, exec_start("handoff-beat.service"), self.node_env(node))
        self._start_nginx()
        for port in self.web_ports:
            self._wait_http(
                f"http://127.0.0.1:{port}/healthz", f"web node :{port}", any_status=True
            )
        self._wait_http(f"http://127.0.0.1:{self.port}/healthz", "healthz 200 through nginx")

    def _start_nginx(self) -> None:
        folder = self.work / "nginx"
        folder.mkdir(exist_ok=True)
        nodes = "\n    ".join(
            f"server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in self.web_ports
        )
        site = (ROOT / "deploy/nginx/handoff.conf").read_text()
        site = (
            site.replace("@WEB_NODES@", nodes)
            .replace("@LISTEN@", f"127.0.0.1:{self.port}")
            .replace("@SERVER_NAME@", "127.0.0.1")
        )
        (folder / "handoff.conf").write_text(site)
        (folder / "nginx.conf").write_text(
            f"worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
            f"events {{ worker_connections 512; }}\n"
            f"http {{\n  access_log {folder}/access.log;\n"
            f"  client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;\n"
            f"  include {folder}/handoff.conf;\n}}\n"
        )
        self.start(
            "nginx",
            [
                "nginx",
                "-p",
                str(folder),
                "-c",
                str(folder / "nginx.conf"),
                "-g",
                "daemon off; user root;",
            ],
            self.env,
        )

    def _wait_http(self, url: str, what: str, *, any_status: bool = False, timeout=120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=3):  # noqa: S310 - loopback
                    return
            except OSError as exc:
                if any_status and getattr(exc, "code", None):
                    return
            time.sleep(0.5)
        raise SystemExit(f"timed out waiting for {what} ({url}); logs in {self.work}")

    def healthz(self) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as r:  # noqa: S310
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as exc:
            body = exc.read()
            try:
                return exc.code, json.loads(body)
            except ValueError:
                return exc.code, {"body": body[:200].decode(errors="replace"), "checks": {}}

    def metrics(self) -> dict:
        """Scrape web2 directly (all its gunicorn workers add up); through the
        proxy from an outside address /metrics is refused."""
        import re

        import urllib3

        node = urllib3.HTTPConnectionPool("127.0.0.1", self.web_ports[1], timeout=10)
        text = node.urlopen(
            "GET",
            "/metrics",
            headers={"Authorization": f"Bearer {self.metrics_token}", "Host": "127.0.0.1"},
        ).data.decode()
        requests = sum(
            float(v)
            for v in re.findall(r"^handoff_http_requests_total\{[^}]*\} (\S+)$", text, re.M)
        )
        funded = re.search(r'^handoff_deals\{state="FUNDED"\} (\S+)$', text, re.M)
        outside = urllib3.HTTPConnectionPool(
            "127.0.0.1", self.port, source_address=("127.0.0.50", 0), timeout=10
        ).urlopen("GET", "/metrics", headers={"Authorization": f"Bearer {self.metrics_token}"})
        no_token = node.urlopen("GET", "/metrics", headers={"Host": "127.0.0.1"})
        return {
            "web2_requests_counted": int(requests),
            "funded_deals": float(funded.group(1)) if funded else None,
            "through_proxy_from_outside": outside.status,
            "without_token": no_token.status,
        }

    def lock_holder(self) -> str:
        for name in ("beat1", "beat2"):
            text = (self.work / f"{name}.log").read_text(errors="replace")
            if "Acquired lock" in text:
                return name
        return ""

    def kill(self, name: str) -> None:
        log(f"SIGKILL {name} (a lost node)")
        stop(self.procs[name], signal.SIGKILL)

    def tear_down(self) -> None:
        for proc in reversed(list(self.procs.values())):
            stop(proc, signal.SIGTERM, timeout=15)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--work", default="")
    args = parser.parse_args()
    seconds, clients, listings = (25, 4, 120) if args.short else (120, 8, 900)
    work = Path(args.work or os.environ.get("SERVICES_DIR", "/tmp")) / "cluster"
    work.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(work, short=args.short)
    os.environ.update(
        {
            **cluster.node_env("admin"),
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "DATABASE_POOLER": "",
        }
    )
    import django

    django.setup()
    started = time.monotonic()
    failures: list[str] = []
    try:
        cluster.set_up(listings)
        from django.utils import timezone

        from bench import fixtures
        from listings.models import Listing

        buyers = fixtures.signed_in(fixtures.ensure_buyers(clients, timezone.now()))
        published = list(
            Listing.objects.filter(state=Listing.State.PUBLISHED).values_list("pk", flat=True)
        )
        # Browsing stays on listings nobody buys (a reserved one is not shown: 404).
        for_sale = published[len(published) // 3 :]
        published = published[: len(published) // 3]
        baseline = email_baseline()
        cluster.start_nodes()
        log(f"up in {time.monotonic() - started:.0f} s; load: {clients} clients, {seconds} s")
        figures, stop_load = Figures(), threading.Event()
        result: dict = {}

        def load():
            result["paid"] = run_load(
                port=cluster.port,
                buyers=buyers,
                listing_ids=published,
                for_sale=for_sale,
                seconds=seconds,
                clients=clients,
                figures=figures,
                stop=stop_load,
            )

        runner = threading.Thread(target=load)
        runner.start()
        time.sleep(seconds * 0.3)
        cluster.kill("web1")
        time.sleep(seconds * 0.2)
        cluster.kill("worker1")
        time.sleep(seconds * 0.2)
        holder = cluster.lock_holder() or "beat1"
        killed_beat_at = time.time()
        cluster.kill(holder)
        runner.join()
        load_figures = figures.summary()
        log(f"load done: {json.dumps(load_figures)}")
        if figures.failed:
            log(f"failed requests (first 10): {figures.failed[:10]}")

        scraped = cluster.metrics()
        import redis

        policies = {
            name: redis.Redis.from_url(url).config_get("maxmemory-policy")["maxmemory-policy"]
            for name, url in (
                ("broker", cluster.env["BROKER_URL"]),
                ("cache", cluster.env["CACHE_URL"]),
            )
        }
        limited = failed_logins(cluster.port, "127.0.0.200", 12)
        other = failed_logins(cluster.port, "127.0.0.201", 1)
        drained = wait_for_drain(timeout=120)
        emails = check_emails(
            baseline,
            [work / n / "mail" for n in ("worker1", "worker2", "web1", "web2", "beat1", "beat2")],
        )
        books = check_books(port=cluster.port, deals=result.get("paid", []))
        logs = [work / f"{n}.log" for n in ("beat1", "beat2")]
        schedule = check_schedule(
            logs, killed_beat_at=killed_beat_at, lock_seconds=int(cluster.env["BEAT_LOCK_SECONDS"])
        )
        status_ok, body_ok = cluster.healthz()

        # The last beat and the last worker stop: /healthz must say so.
        survivor_beat = "beat2" if holder == "beat1" else "beat1"
        cluster.kill(survivor_beat)
        time.sleep(float(cluster.env["HEARTBEAT_STALE_SECONDS"]) + 3)
        status_no_beat, body_no_beat = cluster.healthz()
        cluster.kill("worker2")
        time.sleep(float(cluster.env["HEARTBEAT_STALE_SECONDS"]) + 3)
        status_none, body_none = cluster.healthz()

        from django.conf import settings as django_settings

        trusted = getattr(django_settings, "TRUSTED_PROXY_COUNT", None) is not None
        per_client = 429 in limited and other == [200]
        report = {
            "form": "short" if args.short else "full",
            "topology": "nginx -> 2 gunicorn nodes x 2 workers; PgBouncer -> PostgreSQL; "
            "Redis broker + Redis cache; S3 (moto); 2 Celery workers; 2 beats (redbeat)",
            "stopped mid-load": ["web1", "worker1", f"{holder} (the scheduling beat)"],
            "requests": load_figures,
            "drained": drained,
            "jobs": schedule,
            "emails": emails,
            "books": books,
            "rate_limit": {
                "client_A_statuses": limited,
                "client_B_statuses": other,
                "per_client": per_client,
            },
            "metrics": scraped,
            "redis_policies": policies,
            "healthz": {
                "after_load": status_ok,
                "last_beat_stopped": [status_no_beat, body_no_beat.get("checks", {}).get("beat")],
                "every_worker_stopped": [status_none, body_none.get("checks", {}).get("workers")],
            },
            "seconds_total": round(time.monotonic() - started, 1),
        }
        print("CLUSTER_FIGURES " + json.dumps(report, indent=1), flush=True)

        if load_figures["failed"]:
            failures.append(f"requests failed after retries: {figures.failed[:10]}")
        if load_figures["http_500"]:
            failures.append(f"{load_figures['http_500']} HTTP 500 answers")
        if not load_figures["payments"]:
            failures.append("no payment went through")
        if not drained["ok"]:
            failures.append(f"not drained: {drained}")
        failures += emails["problems"] + books["problems"] + schedule["problems"]
        if policies != {"broker": "noeviction", "cache": "allkeys-lru"}:
            failures.append(f"Redis policies: {policies}")
        if not scraped["web2_requests_counted"] or scraped["funded_deals"] is None:
            failures.append(f"/metrics: {scraped}")
        if scraped["through_proxy_from_outside"] != 403 or scraped["without_token"] != 404:
            failures.append(f"/metrics is not protected: {scraped}")
        if status_ok != 200:
            failures.append(f"/healthz after the load: {status_ok} {body_ok}")
        if status_no_beat != 503 or body_no_beat["checks"].get("beat", {}).get("ok", True):
            failures.append(f"/healthz without beat: {status_no_beat} {body_no_beat}")
        if status_none != 503 or body_none["checks"].get("workers", {}).get("ok", True):
            failures.append(f"/healthz without workers: {status_none} {body_none}")
        if not per_client:
            message = f"rate limits count per proxy, not per client: A {limited}, B {other}"
            if trusted:
                failures.append(message)
            else:
                log("EXPECTED FAILURE until TRUSTED_PROXY_COUNT is merged: " + message)
    finally:
        cluster.tear_down()
    for failure in failures:
        log("FAILED: " + failure)
    log("passed" if not failures else f"{len(failures)} problem(s); logs in {work}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
