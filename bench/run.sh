#!/usr/bin/env bash
# `make bench`: throwaway PostgreSQL + Redis, production settings, one full run.
# Extra arguments go to bench/run.py (e.g. --duration 5, --skip growth).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"
missing=()
command -v wrk >/dev/null || missing+=(wrk)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi

. .ci/services.sh
trap services_stop EXIT INT TERM
services_start

# Production settings, except the TLS redirect and the rate limits (loopback, one client).
export HANDOFF_ENV=production DEBUG=false HANDOFF_READ_DOTENV=0
export SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_urlsafe(64))')"
export FIELD_ENCRYPTION_KEYS="$(.venv/bin/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
export DOCUMENT_HASH_KEY="$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
export SIMULATED_GATEWAY_SECRET="$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
export ALLOWED_HOSTS=127.0.0.1,localhost SITE_URL=http://127.0.0.1
export SECURE_SSL_REDIRECT=false RATE_LIMITS_ENABLED=false
export HANDOFF_BENCH_ENDPOINTS=1
# E-mails are rendered but not sent (no SMTP server on the bench machine).
export EMAIL_URL=dummymail://
# The checkout scenario's 4,000 signed-in buyers open one deal each per pass; a
# host fast enough to wrap around them would meet the cap of 3 unpaid deals.
export MAX_UNPAID_DEALS=1000000
# The work directory (path files, gunicorn's log) outlives the throwaway services.
export HANDOFF_VAR_DIR="$SERVICES_DIR/var" BENCH_WORKDIR="${BENCH_WORKDIR:-/tmp/handoff-bench-work}"
mkdir -p "$HANDOFF_VAR_DIR" "$BENCH_WORKDIR"
export DJANGO_SETTINGS_MODULE=marketplace.settings PYTHONPATH="$PWD"

.venv/bin/python -m bench.run "$@"
