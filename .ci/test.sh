#!/usr/bin/env bash
# `make test`: throwaway PostgreSQL + Redis, the whole suite, always torn down.
set -uo pipefail
cd "$(dirname "$0")/.."
. .ci/services.sh
trap services_stop EXIT INT TERM
services_start || exit 1
export HANDOFF_REQUIRE_SERVICES=1 HANDOFF_READ_DOTENV=0 DJANGO_ALLOW_ASYNC_UNSAFE=true
export HANDOFF_VAR_DIR="$SERVICES_DIR/var"
mkdir -p "$HANDOFF_VAR_DIR"
.venv/bin/python -m pytest "$@"
status=$?
exit $status
