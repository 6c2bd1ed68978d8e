#!/usr/bin/env bash
# The PgBouncer group: the key flows (checkout, jobs in a real worker, webhooks, row
# locks under concurrency) and tests/deploy/test_pgbouncer.py, with the site talking
# to PostgreSQL through PgBouncer in transaction mode (DATABASE_POOLER=pgbouncer).
# Services of its own (PgBouncer keeps server connections to the test database,
# which another run could then not drop). Arguments: pytest paths (default: the group).
set -uo pipefail
cd "$(dirname "$0")/.."
. .ci/services.sh
trap services_stop EXIT INT TERM
services_start || exit 1
pgbouncer_start 10 || exit 1
export HANDOFF_REQUIRE_SERVICES=1 HANDOFF_READ_DOTENV=0 DJANGO_ALLOW_ASYNC_UNSAFE=true
export HANDOFF_VAR_DIR="$SERVICES_DIR/var" HANDOFF_PGBOUNCER=1
export DATABASE_URL="$PGBOUNCER_URL" DATABASE_POOLER=pgbouncer
mkdir -p "$HANDOFF_VAR_DIR"
has_path=0
for arg in "$@"; do [ -e "${arg%%::*}" ] && has_path=1; done
[ "$has_path" = 1 ] || set -- "$@" tests/deploy/test_pgbouncer.py tests/escrow/test_checkout.py \
  tests/escrow/test_worker.py tests/escrow/test_concurrency.py tests/security/test_webhooks.py
# --reuse-db: the test database is not dropped at the end (PgBouncer still holds
# server connections to it); the whole cluster is thrown away instead.
.venv/bin/python -m pytest -p no:cacheprovider --reuse-db -m "not faults" "$@"
