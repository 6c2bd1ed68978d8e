#!/usr/bin/env bash
# Install the system packages the test suite needs, if any is missing (Debian).
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v chromium >/dev/null || missing+=(chromium)
command -v msgfmt >/dev/null || missing+=(gettext)
# The PgBouncer group and the topology test (make test, make cluster).
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
fc-list 2>/dev/null | grep -qi "cjk" || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "system-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
