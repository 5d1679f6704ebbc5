# scripts/bench cluster: sizing figures. One release 'inboard serve' against two behind HAProxy (the shipped
# deploy/haproxy/inboard.cfg) on one PostgreSQL: board reads, status writes and a 1,000-stream fan-out, each
# server's memory, for an organisation of PEOPLE people (10,000 unless BENCH_PEOPLE says otherwise).

# render_haproxy_config OUT FRONT_PORT SERVER_PORT...: the sample with loopback addresses, no TLS front end and
# no root-only lines (chroot, user, system log), for a balancer run by an unprivileged benchmark.
render_haproxy_config() {
  local out="$1" front="$2"; shift 2
  local servers=""; local i=1
  for port in "$@"; do servers+="    server inboard$i 127.0.0.1:$port"$'\n'; i=$((i + 1)); done
  awk -v front="$front" -v servers="$servers" '
    /^ *(chroot|stats socket|user|group|daemon)/ { next }
    /^ *log \/dev\/log/ { print "    log stdout format short local0"; next }
    /^ *maxconn / { print "    maxconn 4000"; next }
    /^ *bind :80$/ { print "    bind 127.0.0.1:" front; next }
    /^ *bind :443 / || /redirect scheme https/ { next }
    /^ *server inboard1 / { printf "%s", servers; next }
    /^ *server inboard/ { next }
    { print }' deploy/haproxy/inboard.cfg > "$out"
  haproxy -c -q -f "$out" || { echo "error: the rendered HAProxy configuration is invalid ($out)" >&2; exit 1; }
}

bench_cluster() {
  source scripts/lib/common.sh
  source scripts/lib/install.sh
  apt_install wrk haproxy
  local seconds=10 connections=32 people="${BENCH_PEOPLE:-10000}"
  local admin="$INBOARD_TEST_DATABASE_ADMIN_URL" db="inboard_bench_cluster"
  export INBOARD_DATABASE_URL="${INBOARD_DATABASE_URL%/*}/$db" INBOARD_SECRET_KEY_FILE INBOARD_LOG_LEVEL=error
  BENCH_WORK="$(mktemp -d)"; local work="$BENCH_WORK"
  local port1 port2 front; port1="$(free_port)"; port2="$(free_port)"; front="$(free_port)"
  trap 'kill ${pids:-} 2>/dev/null; rm -rf "$BENCH_WORK"; psql -q "'"$admin"'" -c "DROP DATABASE IF EXISTS '"$db"' WITH (FORCE)" 2>/dev/null' EXIT
  psql -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db OWNER inboard" 2>/dev/null
  "$inboard" migrate >/dev/null
  bench_directory_settings "$work" "$INBOARD_TEST_LDAP_URL"
  "$inboard" directory set --file "$work/directory.yaml" >/dev/null
  "$inboard" sync --full >/dev/null
  local synced; synced="$(psql -qtA "$INBOARD_DATABASE_URL" -c "SELECT count(*) FROM people")"
  echo "== $synced people from the sample directory, $((people - synced)) more seeded, each with a status"
  psql -q "$INBOARD_DATABASE_URL" -c "INSERT INTO people (username, display_name, source, department) SELECT 'bench' || i, 'Bench Person ' || i, 'local', 'Dept ' || (i % 40) FROM generate_series(1, $people - $synced) i" \
    -c "INSERT INTO statuses (person_id, type_id, note) SELECT p.id, (SELECT id FROM status_types WHERE name = 'In'), 'seeded' FROM people p ON CONFLICT DO NOTHING"
  printf 'bench-password-1\n' > "$work/admin.pw"
  "$inboard" admin create --username bench-admin --password-file "$work/admin.pw" >/dev/null

  pids=""
  # A few accounts make every status change here: the per-person limit (INBOARD_STATUS_CHANGE_LIMIT) is off.
  serve() { INBOARD_HTTP_PORT="$1" INBOARD_TRUSTED_PROXIES=127.0.0.1 INBOARD_STATUS_CHANGE_LIMIT=0 "$inboard" serve > "$work/server-$1.log" 2>&1 & pids="$pids $!"; last_pid=$!; }
  ready() { wait_for "inboard serve on port $1" 10 curl -fs "http://127.0.0.1:$1/health/ready"; }
  rss() { awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$1/status"; }
  hwm() { awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$1/status"; }
  token() { curl -fs -X POST "http://127.0.0.1:$1/api/v1/auth/login" -H 'Content-Type: application/json' -d "{\"username\":\"$2\",\"password\":\"$3\"}" | json token; }
  wrk_rate() { grep -E '^Requests/sec' | awk '{printf "%.0f", $2}'; }
  wrk_p99() { grep -E '^ +99%' | awk '{print $2}'; }
  load() { # load PORT NAME: board reads, then status writes, then 1,000 live streams; "board put sse" figures
    local port="$1" name="$2" admin_token
    admin_token="$(token "$port" bench-admin bench-password-1)"
    TOKEN="$admin_token" wrk -t2 -c"$connections" -d"${seconds}s" --latency -s scripts/bench-tools/get_board.lua "http://127.0.0.1:$port" > "$work/$name-board.txt"
    TOKEN="$admin_token" wrk -t2 -c"$connections" -d"${seconds}s" --latency -s scripts/bench-tools/put_status.lua "http://127.0.0.1:$port" > "$work/$name-put.txt"
    python3 scripts/bench-tools/sse_fanout.py --port "$port" --tokens-file "$work/tokens.txt" --streams 1000 > "$work/$name-sse.json"
    echo "$(wrk_rate < "$work/$name-board.txt") $(wrk_p99 < "$work/$name-board.txt") $(wrk_rate < "$work/$name-put.txt") $(wrk_p99 < "$work/$name-put.txt")"
  }

  cat <<METHOD

Method: release builds of 'inboard serve' and Debian's HAProxy 2.6 running the shipped deploy/haproxy/inboard.cfg
(loopback addresses, no TLS), PostgreSQL 15 with fsync on and slapd, all on the same 2 cores; $people people
on the board. For one server reached directly, the same behind the balancer, then two behind it: wrk (2 threads, $connections
connections, ${seconds} s) on GET /api/v1/people?limit=1000 and on PUT /api/v1/me/status, then one status change
fanned out to 1,000 SSE streams (sse_fanout.py, 100 people's sessions). Memory: /proc VmRSS of each server
after start and VmHWM after the load.
METHOD

  local one two
  serve "$port1"; one="$last_pid"; ready "$port1"; sleep 1
  local idle_one; idle_one="$(rss "$one")"
  awk -F'\t' '{print $1}' <(psql -qtA -F$'\t' "$INBOARD_DATABASE_URL" -c "SELECT username FROM people WHERE source = 'directory' AND active ORDER BY id LIMIT 200") \
    | while read -r name; do token "$port1" "$name" "$INBOARD_TEST_SAMPLE_PASSWORD" 2>/dev/null || true; done | head -100 > "$work/tokens.txt"
  [ "$(wc -l < "$work/tokens.txt")" -ge 50 ] || { echo "error: too few sample people could log in" >&2; exit 1; }
  echo "== one server, direct"
  local single; single="$(load "$port1" single)"
  local single_hwm; single_hwm="$(hwm "$one")"

  # A server notices the streams the fan-out closed at its next heartbeat (15 s); until then they count
  # against each person's limit of 10 streams.
  sleep 16
  render_haproxy_config "$work/haproxy-one.cfg" "$front" "$port1"
  haproxy -db -f "$work/haproxy-one.cfg" > "$work/haproxy.log" 2>&1 & local balancer=$!; pids="$pids $balancer"
  ready "$front"
  echo "== the same server behind HAProxy"
  local behind; behind="$(load "$front" behind)"
  kill "$balancer"; wait "$balancer" 2>/dev/null || true
  sleep 16
  serve "$port2"; two="$last_pid"; ready "$port2"; sleep 1
  local idle_two; idle_two="$(rss "$two")"
  render_haproxy_config "$work/haproxy.cfg" "$front" "$port1" "$port2"
  haproxy -db -f "$work/haproxy.cfg" >> "$work/haproxy.log" 2>&1 & pids="$pids $!"
  ready "$front"
  echo "== two servers behind HAProxy"
  local pair; pair="$(load "$front" pair)"
  local served; served="$(curl -s -D - -o /dev/null "http://127.0.0.1:$front/health/ready" | tr -d '\r' | awk 'tolower($1) == "x-served-by:" {print $2}')"
  [ -n "$served" ] || { echo "error: the balancer did not name the server that answered" >&2; exit 1; }

  python3 - "$people" "$single" "$behind" "$pair" "$idle_one" "$single_hwm" "$idle_two" "$(hwm "$one")" "$(hwm "$two")" "$(cat "$work/single-sse.json")" "$(cat "$work/behind-sse.json")" "$(cat "$work/pair-sse.json")" <<'PY'
import json, sys
people = int(sys.argv[1])
single, behind, pair = sys.argv[2].split(), sys.argv[3].split(), sys.argv[4].split()
idle_one, hwm_single, idle_two, hwm_one, hwm_two = map(int, sys.argv[5:10])
sse_single, sse_behind, sse_pair = (json.loads(x) for x in sys.argv[10:13])
row = lambda name, f, sse, memory: print(f"{name:<27}| {int(f[0]):7,} ({f[1]:>8}) | {int(f[2]):6,} ({f[3]:>8}) | {sse['received']:,} received, p99 {sse['p99_ms']:6.1f} ms | {memory}")
print()
print(f"{people:,} people on the board | board GET/s (p99)  | status PUT/s (p99) | one change to 1,000 SSE streams | RSS per server")
row("one server, direct", single, sse_single, f"{idle_one} MB idle, {hwm_single} MB peak")
row("one server behind HAProxy", behind, sse_behind, "")
row("two servers behind HAProxy", pair, sse_pair, f"{idle_two} MB idle; peaks {max(hwm_one, hwm_single)} and {hwm_two} MB")
print(f"two behind / one behind    | {int(pair[0]) / int(behind[0]):7.0%}            | {int(pair[2]) / int(behind[2]):6.0%}            |")
print("(all on one 2-core machine: the second server shares the cores the first had, so it adds availability here, not speed;")
print(" status writes are bounded by PostgreSQL's commits, which both servers share)")
PY
}
