# Shared helpers and settings for scripts/*. Every port and folder can be overridden by environment.
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL_DIR="${INBOARD_LOCAL_DIR:-$REPO_DIR/.local}"
PG_PORT="${INBOARD_PG_PORT:-5433}"
PG_DURABLE_PORT="${INBOARD_PG_DURABLE_PORT:-5434}"
SLAPD_PORT="${INBOARD_SLAPD_PORT:-3890}"
SLAPD_TLS_PORT="${INBOARD_SLAPD_TLS_PORT:-6360}"
SLAPD2_PORT="${INBOARD_SLAPD2_PORT:-3891}"
SLAPD3_PORT="${INBOARD_SLAPD3_PORT:-3892}"
SMTP_PORT="${INBOARD_SMTP_PORT:-2525}"
LDAP_SUFFIX="dc=acme,dc=test"
LDAP_ADMIN_DN="cn=admin,$LDAP_SUFFIX"
LDAP_ADMIN_PASSWORD="admin-secret"
LDAP_READER_DN="cn=reader,ou=service,$LDAP_SUFFIX"
LDAP_READER_PASSWORD="reader-secret"
SAMPLE_PASSWORD="Passw0rd!"
AD_REALM="EXAMPLE.TEST"; AD_DOMAIN="EXAMPLE"; AD_ADMIN_PASSWORD='Passw0rd!Admin1'
SYSTEM_PYTHON="/usr/bin/python3"   # Debian's python, which sees python3-aiosmtpd
mkdir -p "$LOCAL_DIR"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

# wait_for DESCRIPTION SECONDS COMMAND...: polls until COMMAND succeeds.
wait_for() {
  local what="$1" secs="$2"; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && die "$what did not come up within ${secs}s"
    sleep 0.2
  done
}

# A TCP port on loopback that nothing listens on now (the kernel's pick).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A killed process can linger as a zombie until its parent reaps it: that is not "alive".
pid_running() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
pid_alive() { [ -f "$1" ] && pid_running "$(cat "$1")"; }

stop_pidfile() { # stop_pidfile NAME PIDFILE SIGNAL
  local name="$1" pidfile="$2" sig="${3:-TERM}"
  if pid_alive "$pidfile"; then
    local pid; pid="$(cat "$pidfile")"
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do pid_running "$pid" || break; sleep 0.1; done
    if pid_running "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      # Gone before anyone restarts it: a killed process still writing to disk exits only when the write ends.
      for _ in $(seq 1 600); do pid_running "$pid" || break; sleep 0.1; done
    fi
    log "$name stopped"
  fi
  rm -f "$pidfile"
}

write_env_file() {
  cat > "$LOCAL_DIR/env" <<ENV
export INBOARD_DATABASE_URL='postgres://inboard@127.0.0.1:$PG_PORT/inboard'
export INBOARD_TEST_DATABASE_ADMIN_URL='postgres://postgres@127.0.0.1:$PG_PORT/postgres'
export INBOARD_TEST_PG_BIN='$(pg_bin_dir)'
export INBOARD_SECRET_KEY_FILE='$LOCAL_DIR/secret.key'
export INBOARD_TEST_LDAP_URL='ldap://127.0.0.1:$SLAPD_PORT'
export INBOARD_TEST_LDAPS_URL='ldaps://127.0.0.1:$SLAPD_TLS_PORT'
export INBOARD_TEST_LDAP2_URL='ldap://127.0.0.1:$SLAPD2_PORT'
export INBOARD_TEST_LDAP3_URL='ldap://127.0.0.1:$SLAPD3_PORT'
export INBOARD_TEST_LDAP_BASE='$LDAP_SUFFIX'
export INBOARD_TEST_LDAP_ADMIN_DN='$LDAP_ADMIN_DN'
export INBOARD_TEST_LDAP_ADMIN_PASSWORD='$LDAP_ADMIN_PASSWORD'
export INBOARD_TEST_LDAP_READER_DN='$LDAP_READER_DN'
export INBOARD_TEST_LDAP_READER_PASSWORD='$LDAP_READER_PASSWORD'
export INBOARD_TEST_SAMPLE_PASSWORD='$SAMPLE_PASSWORD'
export INBOARD_TEST_CA_FILE='$LOCAL_DIR/tls/ca.pem'
export INBOARD_TEST_SMTP='127.0.0.1:$SMTP_PORT'
export INBOARD_TEST_MAILDIR='$LOCAL_DIR/smtp/maildir'
export INBOARD_TEST_SLAPD_CTL='$REPO_DIR/scripts/services'
ENV
  if samba_running; then
    cat >> "$LOCAL_DIR/env" <<ENV
export INBOARD_TEST_AD_URL='ldap://127.0.0.1:389'
export INBOARD_TEST_ADS_URL='ldaps://127.0.0.1:636'
export INBOARD_TEST_AD_BASE='DC=example,DC=test'
export INBOARD_TEST_AD_ADMIN_DN='CN=Administrator,CN=Users,DC=example,DC=test'
export INBOARD_TEST_AD_ADMIN_PASSWORD='$AD_ADMIN_PASSWORD'
export INBOARD_TEST_AD_DIR='$LOCAL_DIR/samba'
ENV
  fi
}
