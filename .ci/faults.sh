#!/usr/bin/env bash
# The fault group (pytest marker `faults`): tests that stop and restart PostgreSQL
# and Redis and SIGKILL a Celery worker. They cut every connection of their test
# process, so they run in a pytest invocation of their own, against a PostgreSQL and
# a Redis of their own (started here, torn down at exit). Arguments: pytest paths
# (default: the fault tests). Figures go to HANDOFF_SECURITY_RESULTS when set.
set -uo pipefail
cd "$(dirname "$0")/.."
. .ci/services.sh
trap services_stop EXIT INT TERM
services_start || exit 1
export HANDOFF_REQUIRE_SERVICES=1 HANDOFF_READ_DOTENV=0 DJANGO_ALLOW_ASYNC_UNSAFE=true
export HANDOFF_VAR_DIR="$SERVICES_DIR/var"
export HANDOFF_FAULTS=1
mkdir -p "$HANDOFF_VAR_DIR"
has_path=0
for arg in "$@"; do [ -e "${arg%%::*}" ] && has_path=1; done
[ "$has_path" = 1 ] || set -- "$@" tests/security/test_faults.py
.venv/bin/python -m pytest -p no:cacheprovider -m faults "$@"
