#!/usr/bin/env bash
# The topology test: nginx, two gunicorn web nodes, PgBouncer, PostgreSQL, a Redis
# broker and a Redis cache, a local S3 server, two Celery workers and two beats, on
# loopback, under a bounded load, with one web node, one worker and the scheduling
# beat killed mid-load (tests/deploy/cluster.py). `make cluster` runs the full form;
# `make test` the short one (--short). Services of its own, torn down at exit.
set -uo pipefail
cd "$(dirname "$0")/.."
. .ci/services.sh
trap services_stop EXIT INT TERM
services_start || exit 1
pgbouncer_start 20 || exit 1
export DJANGO_ALLOW_ASYNC_UNSAFE=true
.venv/bin/python -m tests.deploy.cluster "$@"
status=$?
if [ "$status" != 0 ] && [ -d "$SERVICES_DIR/cluster" ]; then
  # The services' folder goes at exit: keep the nodes' logs for a look.
  rm -rf var/cluster-logs && mkdir -p var/cluster-logs
  cp -r "$SERVICES_DIR"/cluster/*.log "$SERVICES_DIR"/cluster/nginx var/cluster-logs/ 2>/dev/null
  echo "cluster: logs kept in var/cluster-logs" >&2
fi
exit $status
