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

# pg_cluster_start FOLDER PORT OPTIONS: initialises (once) and starts a cluster in $(pg_data_root)/FOLDER, with
# the roles and database every script expects.
pg_cluster_start() {
  local folder="$1" port="$2" options="$3" root; root="$(pg_data_root)"
  mkdir -p "$root"; [ "$(id -u)" = 0 ] && chown postgres "$root"
  if [ ! -f "$root/$folder/PG_VERSION" ]; then
    log "initialising PostgreSQL in $root/$folder"
    as_pg "$(pg_bin_dir)/initdb" -D "$root/$folder" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if pg_ctl_ -D "$root/$folder" status >/dev/null 2>&1; then log "PostgreSQL ($folder) already running on $port"; else
    port_free "$port" || die "port $port is in use by another program; choose another with INBOARD_PG_PORT / INBOARD_PG_DURABLE_PORT"
    pg_ctl_ -D "$root/$folder" -l "$root/$folder.log" -w -t 30 \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $root $options" start >/dev/null \
      || die "PostgreSQL ($folder) failed to start; see $root/$folder.log"
    log "PostgreSQL ($folder) started on 127.0.0.1:$port"
  fi
  psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAtc "SELECT 1 FROM pg_roles WHERE rolname='inboard'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE ROLE inboard LOGIN CREATEDB"
  psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAtc "SELECT 1 FROM pg_database WHERE datname='inboard'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE inboard OWNER inboard"
  [ -f "$LOCAL_DIR/secret.key" ] || { head -c 32 /dev/urandom > "$LOCAL_DIR/secret.key"; chmod 600 "$LOCAL_DIR/secret.key"; }
}
pg_cluster_stop() {
  local folder="$1" root; root="$(pg_data_root)"
  if [ -f "$root/$folder/PG_VERSION" ] && pg_ctl_ -D "$root/$folder" status >/dev/null 2>&1; then
    pg_ctl_ -D "$root/$folder" -m fast -w stop >/dev/null && log "PostgreSQL ($folder) stopped"
  fi
}
# The tests' cluster: fsync off, since a test database never needs to survive a power cut. The parallel pass
# holds up to about 490 connections at once (measured 7 December 2026: a pool per test server, its listeners,
# the servers the integration tests start), hence room for twice that.
pg_start() { pg_cluster_start data "$PG_PORT" "-c fsync=off -c max_connections=1000"; }
# The benchmarks' cluster: PostgreSQL's durable defaults (fsync, synchronous_commit, full_page_writes on), as
# production runs it.
pg_durable_start() { pg_cluster_start durable "$PG_DURABLE_PORT" "-c max_connections=500"; }
pg_stop() { pg_cluster_stop durable; pg_cluster_stop data; }
pg_status() {
  local root; root="$(pg_data_root)"
  if [ -f "$root/data/PG_VERSION" ] && pg_ctl_ -D "$root/data" status >/dev/null 2>&1; then echo "postgresql: running on 127.0.0.1:$PG_PORT"; else echo "postgresql: stopped"; fi
}
