# PostgreSQL 15 on 127.0.0.1:$PG_PORT, trust auth on loopback, roles postgres (superuser) and inboard (owner of db inboard).
pg_bin_dir() { echo "/usr/lib/postgresql/15/bin"; }
pg_data_root() {
  # The postgres user must be able to reach the data folder; a repository under /root is not reachable.
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$LOCAL_DIR" 2>/dev/null; then
    echo "/tmp/inboard-pg-$(printf '%s' "$LOCAL_DIR" | cksum | cut -d' ' -f1)"
  else
    echo "$LOCAL_DIR/pg"
  fi
}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_ctl_() { as_pg "$(pg_bin_dir)/pg_ctl" "$@"; }

pg_start() {
  local root; root="$(pg_data_root)"
  mkdir -p "$root"; [ "$(id -u)" = 0 ] && chown postgres "$root"
  if [ ! -f "$root/data/PG_VERSION" ]; then
    log "initialising PostgreSQL in $root/data"
    as_pg "$(pg_bin_dir)/initdb" -D "$root/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if pg_ctl_ -D "$root/data" status >/dev/null 2>&1; then log "PostgreSQL already running on $PG_PORT"; else
    port_free "$PG_PORT" || die "port $PG_PORT is in use by another program; set INBOARD_PG_PORT to a free port"
    pg_ctl_ -D "$root/data" -l "$root/log" -w -t 30 \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $root -c fsync=off -c max_connections=500" start >/dev/null \
      || die "PostgreSQL failed to start; see $root/log"
    log "PostgreSQL started on 127.0.0.1:$PG_PORT"
  fi
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qAtc "SELECT 1 FROM pg_roles WHERE rolname='inboard'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc "CREATE ROLE inboard LOGIN CREATEDB"
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qAtc "SELECT 1 FROM pg_database WHERE datname='inboard'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc "CREATE DATABASE inboard OWNER inboard"
  [ -f "$LOCAL_DIR/secret.key" ] || { head -c 32 /dev/urandom > "$LOCAL_DIR/secret.key"; chmod 600 "$LOCAL_DIR/secret.key"; }
}
pg_stop() {
  local root; root="$(pg_data_root)"
  if [ -f "$root/data/PG_VERSION" ] && pg_ctl_ -D "$root/data" status >/dev/null 2>&1; then
    pg_ctl_ -D "$root/data" -m fast -w stop >/dev/null && log "PostgreSQL stopped"
  fi
}
pg_status() {
  local root; root="$(pg_data_root)"
  if [ -f "$root/data/PG_VERSION" ] && pg_ctl_ -D "$root/data" status >/dev/null 2>&1; then echo "postgresql: running on 127.0.0.1:$PG_PORT"; else echo "postgresql: stopped"; fi
}
