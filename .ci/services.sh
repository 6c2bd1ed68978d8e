#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis on loopback, for `make test` and `make bench`.
# Source this file, then: services_start; ...; services_stop.
# Exports DATABASE_URL and REDIS_URL. Works as root (runs PostgreSQL as the
# `postgres` user, which refuses to run as root) and as an ordinary user.

_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

_as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

services_start() {
  local pg_bin
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    echo "services: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
    return 1
  fi
  command -v redis-server >/dev/null || { echo "services: redis-server not found" >&2; return 1; }

  SERVICES_DIR=$(mktemp -d /tmp/handoff-services.XXXXXX)
  chmod 755 "$SERVICES_DIR"
  export SERVICES_DIR
  PG_DIR="$SERVICES_DIR/pg"
  mkdir -p "$PG_DIR"
  [ "$(id -u)" = "0" ] && chown postgres:postgres "$PG_DIR"
  PG_PORT=$(_free_port)
  _as_pg "$pg_bin/initdb" -D "$PG_DIR" -U postgres -A trust -E UTF8 --no-sync >"$SERVICES_DIR/initdb.log" 2>&1 \
    || { cat "$SERVICES_DIR/initdb.log" >&2; return 1; }
  _as_pg "$pg_bin/pg_ctl" -D "$PG_DIR" -w -l "$PG_DIR/server.log" \
    -o "-k $PG_DIR -h 127.0.0.1 -p $PG_PORT -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; return 1; }
  export PG_BIN="$pg_bin" PG_DIR PG_PORT
  export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/handoff"
  "$pg_bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres handoff

  REDIS_PORT=$(_free_port)
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --daemonize yes --pidfile "$SERVICES_DIR/redis.pid" --dir "$SERVICES_DIR" \
    --logfile "$SERVICES_DIR/redis.log"
  for _ in $(seq 50); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  export REDIS_PORT REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  echo "services: PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT"
}

services_stop() {
  [ -n "${SERVICES_DIR:-}" ] || return 0
  if [ -n "${PG_BIN:-}" ] && [ -f "$PG_DIR/postmaster.pid" ]; then
    _as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ -f "$SERVICES_DIR/redis.pid" ]; then
    kill "$(cat "$SERVICES_DIR/redis.pid")" 2>/dev/null || true
  fi
  rm -rf "$SERVICES_DIR"
  unset SERVICES_DIR
}
