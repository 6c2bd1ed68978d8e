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
  pgbouncer_stop
  if [ -n "${PG_BIN:-}" ] && [ -f "$PG_DIR/postmaster.pid" ]; then
    _as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ -f "$SERVICES_DIR/redis.pid" ]; then
    kill "$(cat "$SERVICES_DIR/redis.pid")" 2>/dev/null || true
  fi
  rm -rf "$SERVICES_DIR"
  unset SERVICES_DIR
}

# PgBouncer (transaction pooling) in front of the PostgreSQL above, from the same
# template as production (deploy/pgbouncer.ini). Exports PGBOUNCER_PORT and
# PGBOUNCER_URL (the database "handoff" through it). Argument: pool size (default 20).
pgbouncer_start() {
  command -v pgbouncer >/dev/null || { echo "services: pgbouncer not found (apt-get install pgbouncer)" >&2; return 1; }
  PGBOUNCER_DIR="$SERVICES_DIR/pgbouncer"
  mkdir -p "$PGBOUNCER_DIR"
  PGBOUNCER_PORT=$(_free_port)
  sed -e "s|@PG_HOST@|127.0.0.1|; s|@PG_PORT@|$PG_PORT|; s|@LISTEN_ADDR@|127.0.0.1|" \
      -e "s|@LISTEN_PORT@|$PGBOUNCER_PORT|; s|@AUTH_TYPE@|trust|; s|@POOL_SIZE@|${1:-20}|" \
      -e "s|@DIR@|$PGBOUNCER_DIR|g" deploy/pgbouncer.ini >"$PGBOUNCER_DIR/pgbouncer.ini"
  echo '"postgres" ""' >"$PGBOUNCER_DIR/userlist.txt"
  [ "$(id -u)" = "0" ] && chown -R postgres:postgres "$PGBOUNCER_DIR"
  # PgBouncer refuses to run as root: as PostgreSQL's own user, daemonised.
  _as_pg pgbouncer -d -q "$PGBOUNCER_DIR/pgbouncer.ini" || { cat "$PGBOUNCER_DIR/pgbouncer.log" >&2; return 1; }
  for _ in $(seq 50); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PGBOUNCER_PORT" && break
    sleep 0.1
  done
  export PGBOUNCER_DIR PGBOUNCER_PORT PGBOUNCER_URL="postgres://postgres@127.0.0.1:$PGBOUNCER_PORT/handoff"
  echo "services: PgBouncer (transaction mode) on 127.0.0.1:$PGBOUNCER_PORT"
}

pgbouncer_stop() {
  [ -n "${PGBOUNCER_DIR:-}" ] && [ -f "$PGBOUNCER_DIR/pgbouncer.pid" ] || return 0
  kill "$(cat "$PGBOUNCER_DIR/pgbouncer.pid")" 2>/dev/null || true
}
