# scripts/drills soak [MINUTES]: a release 'inboard serve' on PostgreSQL with its durable defaults (fsync on),
# synced from the sample slapd, under a steady mix for MINUTES (10 by default): status changes, board pages,
# logins, notes (each an email to an SMTP sink) and 500 live SSE clients, sampled each minute. Prints the table,
# judges the trends (scripts/bench-tools/soak_report.py says how) and draws docs/soak.png.
# Needs: the test services' env (sourced by scripts/drills).

drill_soak() {
  source scripts/lib/common.sh
  source scripts/lib/install.sh
  source scripts/lib/bench-sync.sh  # before the RETURN trap below: sourcing a file fires it
  source scripts/lib/postgres.sh
  local minutes="${1:-10}" streams="${INBOARD_SOAK_STREAMS:-500}" t0=$SECONDS
  apt_install python3-venv iproute2
  local venv="$LOCAL_DIR/drills-python"
  if ! "$venv/bin/python" -c 'import matplotlib' 2>/dev/null; then
    log "installing matplotlib from PyPI into $venv (for the plot)"
    "$SYSTEM_PYTHON" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "matplotlib==3.9.2"
  fi
  pg_durable_start
  local admin_url="postgres://postgres@127.0.0.1:$PG_DURABLE_PORT/postgres" db="inboard_soak"
  echo "== soak: building inboard (release)"
  swift build -c release --product inboard 2>&1 | grep -E "error|Build( of product .*)? complete" || true
  local inboard work port sink_port server_pid="" sink_pid=""
  inboard="$(swift build -c release --show-bin-path)/inboard"
  work="$(mktemp -d)"
  port="$(free_port)"
  sink_port="$(free_port)"
  # 20 status changes a second among the sample users: past the per-person limit, which is off here.
  export INBOARD_DATABASE_URL="postgres://inboard@127.0.0.1:$PG_DURABLE_PORT/$db" INBOARD_LOG_LEVEL=warning \
    INBOARD_HTTP_PORT="$port" INBOARD_STATUS_CHANGE_LIMIT=0
  # shellcheck disable=SC2064
  trap "kill \$server_pid \$sink_pid 2>/dev/null; rm -rf '$work'" RETURN
  "$SYSTEM_PYTHON" scripts/bench-tools/smtp_sink.py --port "$sink_port" --out "$work/mail.jsonl" >/dev/null 2>&1 &
  sink_pid=$!
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db OWNER inboard" 2>/dev/null
  "$inboard" migrate >/dev/null
  bench_directory_settings "$work" "$INBOARD_TEST_LDAP_URL"
  "$inboard" directory set --file "$work/directory.yaml" >/dev/null
  "$inboard" sync --full >/dev/null
  psql -q "$INBOARD_DATABASE_URL" -c "INSERT INTO settings (key, value) VALUES ('smtp', jsonb_build_object(
      'enabled', true, 'host', '127.0.0.1', 'port', $sink_port, 'security', 'none', 'fromAddress', 'inboard@acme.test',
      'fromName', 'Inboard', 'events', jsonb_build_object('noteLeft', true)))
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
  # People who can sign in with the sample password (locked accounts left out), enough for the streams.
  ldapsearch -x -LLL -o ldif-wrap=no -E pr=500/noprompt -H "$INBOARD_TEST_LDAP_URL" -D "$INBOARD_TEST_LDAP_READER_DN" \
    -w "$INBOARD_TEST_LDAP_READER_PASSWORD" -b "ou=people,$INBOARD_TEST_LDAP_BASE" \
    "(&(objectClass=inetOrgPerson)(!(pwdAccountLockedTime=*)))" uid 2>/dev/null \
    | awk -v n="$(( (streams + 3) / 4 ))" '/^uid: / && c < n {print $2; c++}' > "$work/users.txt"

  "$inboard" serve > "$work/serve.log" 2>&1 & server_pid=$!
  wait_for "inboard serve" 30 curl -fs "http://127.0.0.1:$port/health/ready"
  cat <<METHOD
== soak: $minutes minutes against a release 'inboard serve' (port $port) on PostgreSQL 15 with fsync on, slapd and
   an SMTP sink on the same 2 cores. Steady mix: 20 status changes/s, 20 board pages (100 people)/s, 1 login +
   logout/s, 1 note (an email) every 2 s, and $streams SSE clients over $(wc -l < "$work/users.txt") people held open throughout.
   Sampled each minute: RSS, open files, threads, PostgreSQL and TCP connections, requests, errors, p99 latency.
METHOD
  local rc=0
  "$SYSTEM_PYTHON" scripts/bench-tools/soak.py --port "$port" --pid "$server_pid" --users-file "$work/users.txt" \
    --password "$SAMPLE_PASSWORD" --database-url "$INBOARD_DATABASE_URL" --sink-file "$work/mail.jsonl" \
    --minutes "$minutes" --streams "$streams" --out "$work/soak.json" > "$work/samples.jsonl" || rc=$?
  [ "$rc" = 0 ] || { echo "== soak: the load generator failed (rc $rc)"; tail -5 "$work/samples.jsonl"; return 1; }
  kill -0 "$server_pid" 2>/dev/null || { echo "== soak: the server died: $(tail -20 "$work/serve.log")"; return 1; }
  cp "$work/soak.json" docs/soak.json
  "$venv/bin/python" scripts/bench-tools/soak_report.py docs/soak.json --plot docs/soak.png || rc=$?
  echo "== soak: $([ "$rc" = 0 ] && echo passed || echo FAILED) in $((SECONDS - t0)) s (samples in docs/soak.json)"
  return "$rc"
}
