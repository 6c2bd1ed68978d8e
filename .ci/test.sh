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
export HANDOFF_SECURITY_RESULTS="$SERVICES_DIR/security-results.json"
# The fault group (marker `faults`) stops and restarts PostgreSQL and Redis, so it
# runs first, in its own pytest process with services of its own (.ci/faults.sh);
# its figures join the security summary line that the main run prints.
fault_status=0
ran_faults=0
has_path=0
for arg in "$@"; do [ -e "${arg%%::*}" ] && has_path=1; done
if [ "$has_path" = 0 ] || printf '%s\n' "$@" | grep -q 'faults'; then
  ran_faults=1
  bash .ci/faults.sh "$@"
  fault_status=$?
  # Options such as -k may select no fault test; with no arguments (make test) that fails.
  [ "$fault_status" = 5 ] && [ "$#" -gt 0 ] && fault_status=0
fi
# The PgBouncer group (marker `pgbouncer`, .ci/pgbouncer.sh): the key flows again,
# through PgBouncer in transaction mode, with services of its own.
pgb_status=0
ran_pgb=0
if [ "$has_path" = 0 ] || printf '%s\n' "$@" | grep -q 'pgbouncer'; then
  ran_pgb=1
  if [ "$has_path" = 0 ]; then bash .ci/pgbouncer.sh; else bash .ci/pgbouncer.sh "$@"; fi
  pgb_status=$?
fi
# The topology test's short form (marker `cluster`, .ci/cluster.sh --short): nginx,
# two web nodes, PgBouncer, two workers and two beats under load; `make cluster`
# runs the full one.
cluster_status=0
if [ "$has_path" = 0 ] && [ "${HANDOFF_SKIP_CLUSTER:-0}" != 1 ]; then
  bash .ci/cluster.sh --short
  cluster_status=$?
fi
.venv/bin/python -m pytest -m "not faults and not pgbouncer and not cluster" "$@"
status=$?
# Only fault or PgBouncer tests were asked for: the main run collected nothing, which is fine.
[ "$status" = 5 ] && { [ "$ran_faults" = 1 ] || [ "$ran_pgb" = 1 ]; } && [ "$#" -gt 0 ] && status=0
if [ "$fault_status" != 0 ]; then
  echo "fault group (.ci/faults.sh) failed with status $fault_status" >&2
  [ "$status" = 0 ] && status=$fault_status
fi
if [ "$pgb_status" != 0 ]; then
  echo "PgBouncer group (.ci/pgbouncer.sh) failed with status $pgb_status" >&2
  [ "$status" = 0 ] && status=$pgb_status
fi
if [ "$cluster_status" != 0 ]; then
  echo "topology test (.ci/cluster.sh --short) failed with status $cluster_status" >&2
  [ "$status" = 0 ] && status=$cluster_status
fi
exit $status
