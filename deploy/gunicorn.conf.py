"""gunicorn configuration for a Handoff web node:
``gunicorn -c deploy/gunicorn.conf.py marketplace.wsgi`` (deploy/systemd/handoff-web.service;
the topology test runs it too). Settings come from the environment:

GUNICORN_BIND (127.0.0.1:8000), GUNICORN_WORKERS (2 x CPUs + 1), GUNICORN_THREADS (1),
GUNICORN_TIMEOUT (30 s), GUNICORN_MAX_REQUESTS (1000), PROMETHEUS_MULTIPROC_DIR
(HANDOFF_VAR_DIR/prometheus: /metrics adds up this node's workers), LOG_FORMAT.
"""

import json
import multiprocessing
import os
import shutil
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# A request longer than this is killed (its worker restarts); the proxy's read
# timeout is longer, so the client sees a 502 it may retry, never a hang.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Behind nginx's keepalive upstream.
keepalive = 5
# Recycle workers now and then (slow leaks); the jitter keeps them from all
# restarting at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = max(max_requests // 10, 1)
# Only the local proxy may set X-Forwarded-*: gunicorn trusts it for the scheme.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "handoff-web"
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
if os.environ.get("LOG_FORMAT") == "json":
    access_log_format = json.dumps(
        {
            "time": "%(t)s",
            "logger": "gunicorn.access",
            "remote": "%({x-forwarded-for}i)s",
            "request_id": "%({x-request-id}i)s",
            "method": "%(m)s",
            "path": "%(U)s",
            "status": "%(s)s",
            "bytes": "%(B)s",
            "duration_us": "%(D)s",
        }
    )

# Request metrics from every worker process of this node (prometheus-client's
# multiprocess mode): set before the workers import the application.
_var = Path(os.environ.get("HANDOFF_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
_metrics_dir = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_var / "prometheus")))


def on_starting(server):
    # The previous run's files would add dead processes' counts.
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    _metrics_dir.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
