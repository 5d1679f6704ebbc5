# scripts/bench api: the HTTP API under wrk on loopback against a release 'inboard serve', each figure beside a
# baseline measured in the same run: status updates vs pgbench's single-row update (and many people at once),
# board reads of 1,000 people, directory logins vs raw libldap binds (and a 300-group person vs a 1-group one),
# one status change fanned out to 1,000 SSE streams, and the server's memory idle and after the load.

bench_api() {
  source scripts/lib/common.sh
  source scripts/lib/install.sh
  apt_install wrk python3-asyncpg
  local seconds=10 connections=32 writers=16 people=1000 sse_runs=5
  local admin="$INBOARD_TEST_DATABASE_ADMIN_URL" db="inboard_bench_api"
  export INBOARD_DATABASE_URL="${INBOARD_DATABASE_URL%/*}/$db" INBOARD_SECRET_KEY_FILE INBOARD_LOG_LEVEL=error
  BENCH_WORK="$(mktemp -d)"; local work="$BENCH_WORK"
  local port; port="$(free_port)"
  psql -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db OWNER inboard" 2>/dev/null
  "$inboard" migrate >/dev/null
  local suffix="$INBOARD_TEST_LDAP_BASE"
  bench_directory_settings "$work" "$INBOARD_TEST_LDAP_URL"
  "$inboard" directory set --file "$work/directory.yaml" >/dev/null
  echo "== 190 sample people: 40 in 300 nested groups (bench-g1 contains bench-g2 … contains bench-g300 contains them), 150 in a handful"
  # Logins and streams spread over many accounts: the throttle counts attempts in flight per account, and a
  # person may hold at most 10 live streams.
  ldapsearch -x -LLL -o ldif-wrap=no -E pr=500/noprompt -H "$INBOARD_TEST_LDAP_URL" -D "$INBOARD_TEST_LDAP_READER_DN" -w "$INBOARD_TEST_LDAP_READER_PASSWORD" \
    -b "ou=people,$suffix" "(&(objectClass=inetOrgPerson)(!(pwdAccountLockedTime=*)))" uid > "$work/people.ldif" 2>/dev/null
  awk '/^dn: / {dn = substr($0, 5)} /^uid: / && n < 190 {print $2 "\t" dn; n++}' "$work/people.ldif" > "$work/users.tsv"
  [ "$(wc -l < "$work/users.tsv")" -ge 190 ] || { echo "error: the sample directory has fewer than 190 people who can log in" >&2; exit 1; }
  head -40 "$work/users.tsv" | cut -f1 > "$work/deep-users.txt"
  tail -n +41 "$work/users.tsv" | cut -f1 > "$work/users.txt"
  python3 - "$suffix" "$work/users.tsv" > "$work/groups.ldif" <<'PY'
import sys
base = sys.argv[1]
deep = [line.split("\t")[1].strip() for line in open(sys.argv[2])][:40]
for i in range(300, 0, -1):
    members = [f"cn=bench-g{i + 1},ou=groups,{base}"] if i < 300 else deep
    lines = "".join(f"member: {m}\n" for m in members)
    print(f"dn: cn=bench-g{i},ou=groups,{base}\nchangetype: add\nobjectClass: groupOfNames\ncn: bench-g{i}\n{lines}")
PY
  ldapmodify -c -x -H "$INBOARD_TEST_LDAP_URL" -D "$INBOARD_TEST_LDAP_ADMIN_DN" -w "$INBOARD_TEST_LDAP_ADMIN_PASSWORD" -f "$work/groups.ldif" >/dev/null 2>&1 || true
  trap 'for i in $(seq 1 300); do echo "cn=bench-g$i,ou=groups,'"$suffix"'"; done | ldapdelete -c -x -H "$INBOARD_TEST_LDAP_URL" -D "$INBOARD_TEST_LDAP_ADMIN_DN" -w "$INBOARD_TEST_LDAP_ADMIN_PASSWORD" >/dev/null 2>&1 || true; for pid in "${server_pid:-}" "${naive_pid:-}" "${durable_pid:-}" "${static_pid:-}"; do [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; done; rm -rf "$BENCH_WORK"' EXIT
  "$inboard" sync --full >/dev/null
  psql -q "$INBOARD_DATABASE_URL" -c "INSERT INTO people (username, display_name, source, department) SELECT 'bench' || i, 'Bench Person ' || i, 'local', 'Dept ' || (i % 8) FROM generate_series(1, $people - 200) i" \
    -c "INSERT INTO statuses (person_id, type_id, note) SELECT p.id, (SELECT id FROM status_types WHERE name = 'In'), 'seeded' FROM people p" \
    -c "UPDATE statuses SET note = 'private note ' || person_id, note_hidden = TRUE WHERE person_id % 20 = 0 AND person_id IN (SELECT id FROM people WHERE source = 'local')" \
    -c "INSERT INTO status_history (person_id, type_id, set_at, source) SELECT p.id, (SELECT id FROM status_types WHERE name = 'In'), now() - i * interval '3 hours', CASE WHEN i % 3 = 0 THEN 'expiry' ELSE '127.0.0.1' END FROM people p, generate_series(1, 500) i" \
    -c "ANALYZE people, statuses, status_history, events, watches"
  printf 'bench-password-1\n' > "$work/admin.pw"
  "$inboard" admin create --username bench-admin --password-file "$work/admin.pw" >/dev/null

  # One account makes the goal's status changes, many a second: the per-person limit (INBOARD_STATUS_CHANGE_LIMIT) is off.
  INBOARD_HTTP_PORT="$port" INBOARD_STATUS_CHANGE_LIMIT=0 "$inboard" serve & server_pid=$!
  wait_for "inboard serve" 10 curl -fs "http://127.0.0.1:$port/health/ready"
  rss() { awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status"; }
  hwm() { awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status"; }
  local idle_rss; sleep 1; idle_rss="$(rss)"
  token() { curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'Content-Type: application/json' -d "{\"username\":\"$1\",\"password\":\"$2\"}" | json token; }
  local admin_token; admin_token="$(token bench-admin bench-password-1)"
  [ -n "$admin_token" ] || { echo "error: bench-admin could not log in" >&2; exit 1; }
  # A run's rate, or a stop when any answer failed (wrk counts failed answers in its rate).
  wrk_rate() {
    local out; out="$(cat)"
    if grep -q 'Non-2xx or 3xx responses' <<< "$out"; then echo "error: wrk saw failed answers: $(grep 'Non-2xx' <<< "$out")" >&2; exit 1; fi
    awk '/^Requests\/sec/ {print $2}' <<< "$out"
  }
  wrk_p99() { grep -E '^ +99%' | awk '{print $2}'; }

  local pool_size="${INBOARD_DATABASE_POOL_SIZE:-$(( 2 * $(nproc) + 1 < 4 ? 4 : (2 * $(nproc) + 1 > 10 ? 10 : 2 * $(nproc) + 1) ))}"
  cat <<METHOD

Method: release build of 'inboard serve' (a pool of $pool_size PostgreSQL connections: INBOARD_DATABASE_POOL_SIZE, or
twice the cores and one, from 4 to 10) on loopback with PostgreSQL 15 and slapd 2.5 on the same 2 cores; wrk
(2 threads, ${seconds} s, --latency; $connections connections for the reads) drives each route. Status updates: PUT
/api/v1/me/status on $writers connections, alternating two types (each a status row, a history row and an event
in one transaction, then one NOTIFY for the other servers shared by the commits of a moment; one account makes
them all, so the per-person limit, INBOARD_STATUS_CHANGE_LIMIT, is off); baseline: pgbench with as many clients
(the goal's measure), a single-row UPDATE of the same statuses table, and the PUT's own statement under pgbench
(prepared) to show what the database itself allows for that work. Board: GET /api/v1/people with
$people people (each with 500 changes of history, analysed: what a half year of use leaves and the planner
sees), one in 20 of the local ones with a hidden note, as an administrator (the JSON as it is), then the same with
If-None-Match of its ETag (304s), then as a colleague whose client takes gzip (Accept-Encoding: gzip, as
inboard-client and browsers send; hidden notes removed), then as the administrator taking gzip (the hidden notes'
text stored apart, uncompressed); baseline for the first: the same bytes answered by a bare HTTP/1.1 server on
NIO (inboard-bench static-body: every request answered with one buffer, on as many event loops, no routing,
session or cache), under the same wrk. Logins: POST /api/v1/auth/login (search, then bind on the pool, a session row), each request as the
next of 150 sample people, 8 connections; baseline:
a raw loop doing the same work: search, bind on a second handle, and the server's own session INSERT committed
(inboard-bench raw-login with a database; also shown without the INSERT, and raw binds alone); and 40 people in 300 nested groups against those
in a handful. SSE: 1,000 streams of 100 people open on one server, one status change, time from before the PUT
to each arrival, and the server's CPU time from the change until 300 ms after the last arrival (its threads'
schedstat), $sse_runs runs, medians; the client is inboard-bench's (one thread, poll(2)); baseline: the same client against a
naive asyncio fan-out server (no database, no rules), and for reference the same server committing one INSERT before
it fans out (asyncpg, this PostgreSQL), runs taken in turn; then the Python client of earlier figures once each.
For reference, after the logins: 100 people changing their own statuses at once (PUTs on $writers
connections, each request the next of their tokens, each wrk thread with its own half of them) against pgbench
updating 96 rows of the statuses table, each client its own 6. RSS: /proc VmRSS after start, VmHWM after everything.
METHOD

  echo "== status updates"
  local put put_p99; TOKEN="$admin_token" wrk -t2 -c"$writers" -d"${seconds}s" --latency -s scripts/bench-tools/put_status.lua "http://127.0.0.1:$port" > "$work/put.txt"
  put="$(wrk_rate < "$work/put.txt")"; put_p99="$(wrk_p99 < "$work/put.txt")"
  echo "   peak RSS so far: $(( $(hwm) / 1024 )) MB"
  local person; person="$(psql -qtA "$INBOARD_DATABASE_URL" -c "SELECT id FROM people WHERE username = 'bench-admin'")"
  echo "UPDATE statuses SET note = 'pgbench', set_at = now() WHERE person_id = $person;" > "$work/update.sql"
  local pg; pg="$(PGPASSWORD= pgbench -n -c "$writers" -j 2 -T "$seconds" -f "$work/update.sql" "$INBOARD_DATABASE_URL" 2>/dev/null | awk '/^tps/ {print $3}')"
  "$bench" status-sql "$person" $(psql -qtA -F ' ' "$INBOARD_DATABASE_URL" -c "SELECT id, xmin FROM status_types WHERE name = 'Remote'") > "$work/status.sql"
  local pg_same; pg_same="$(PGPASSWORD= pgbench -n -M prepared -c "$writers" -j 2 -T "$seconds" -f "$work/status.sql" "$INBOARD_DATABASE_URL" 2>/dev/null | awk '/^tps/ {print $3}')"
  echo "== board reads"
  local board board_p99; TOKEN="$admin_token" wrk -t2 -c"$connections" -d"${seconds}s" --latency -s scripts/bench-tools/get_board.lua "http://127.0.0.1:$port" > "$work/board.txt"
  board="$(wrk_rate < "$work/board.txt")"; board_p99="$(wrk_p99 < "$work/board.txt")"
  # Baseline: the same bytes answered by a bare NIO server (inboard-bench static-body), on the same cores.
  local bare bare_port; bare_port="$(free_port)"
  curl -fs -o "$work/board.json" "http://127.0.0.1:$port/api/v1/people?limit=1000" -H "Authorization: Bearer $admin_token"
  [ -s "$work/board.json" ] || { echo "error: the board could not be read for the bare server's baseline" >&2; exit 1; }
  "$bench" static-body "$bare_port" "$work/board.json" > /dev/null & static_pid=$!
  wait_for "the bare server (inboard-bench static-body)" 10 curl -fs -o /dev/null "http://127.0.0.1:$bare_port/"
  TOKEN="$admin_token" wrk -t2 -c"$connections" -d"${seconds}s" --latency -s scripts/bench-tools/get_board.lua "http://127.0.0.1:$bare_port" > "$work/board-bare.txt"
  bare="$(wrk_rate < "$work/board-bare.txt")"
  kill "$static_pid" 2>/dev/null || true; wait "$static_pid" 2>/dev/null || true; static_pid=
  local etag not_modified not_modified_p99
  etag="$(curl -fs -D - -o /dev/null "http://127.0.0.1:$port/api/v1/people?limit=1000" -H "Authorization: Bearer $admin_token" | awk 'tolower($1) == "etag:" {print $2}' | tr -d '\r')"
  [ -n "$etag" ] || { echo "error: the board answered without an ETag" >&2; exit 1; }
  TOKEN="$admin_token" ETAG="$etag" wrk -t2 -c"$connections" -d"${seconds}s" --latency -s scripts/bench-tools/get_board.lua "http://127.0.0.1:$port" > "$work/board304.txt"
  not_modified="$(wrk_rate < "$work/board304.txt")"; not_modified_p99="$(wrk_p99 < "$work/board304.txt")"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/people?limit=1000" -H "Authorization: Bearer $admin_token" -H "If-None-Match: $etag")" = 304 ] \
    || echo "   warning: the board changed during the 304 run, so some answers were 200s"
  local user_token board_gzip board_gzip_p99 plain_bytes gzip_bytes
  user_token="$(token "$(head -1 "$work/users.txt")" "$INBOARD_TEST_SAMPLE_PASSWORD")"
  [ -n "$user_token" ] || { echo "error: a sample colleague could not log in" >&2; exit 1; }
  plain_bytes="$(curl -fs -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port/api/v1/people?limit=1000" -H "Authorization: Bearer $user_token")"
  gzip_bytes="$(curl -fs -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port/api/v1/people?limit=1000" -H "Authorization: Bearer $user_token" -H 'Accept-Encoding: gzip')"
  [ "$gzip_bytes" -lt "$plain_bytes" ] || { echo "error: the board was not gzipped ($gzip_bytes of $plain_bytes bytes)" >&2; exit 1; }
  TOKEN="$user_token" ACCEPT_ENCODING=gzip wrk -t2 -c"$connections" -d"${seconds}s" --latency -s scripts/bench-tools/get_board.lua "http://127.0.0.1:$port" > "$work/board-gzip.txt"
  board_gzip="$(wrk_rate < "$work/board-gzip.txt")"; board_gzip_p99="$(wrk_p99 < "$work/board-gzip.txt")"
  local admin_gzip admin_gzip_p99 admin_gzip_bytes hidden_notes
  hidden_notes="$(psql -qtA "$INBOARD_DATABASE_URL" -c "SELECT count(*) FROM statuses WHERE note_hidden")"
  admin_gzip_bytes="$(curl -fs -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port/api/v1/people?limit=1000" -H "Authorization: Bearer $admin_token" -H 'Accept-Encoding: gzip')"
  TOKEN="$admin_token" ACCEPT_ENCODING=gzip wrk -t2 -c"$connections" -d"${seconds}s" --latency -s scripts/bench-tools/get_board.lua "http://127.0.0.1:$port" > "$work/board-admin-gzip.txt"
  admin_gzip="$(wrk_rate < "$work/board-admin-gzip.txt")"; admin_gzip_p99="$(wrk_p99 < "$work/board-admin-gzip.txt")"
  echo "   peak RSS so far: $(( $(hwm) / 1024 )) MB"
  echo "== logins"
  local login login_p99 deep deep_p99 raw
  USERNAMES="$work/users.txt" PASSWORD="$INBOARD_TEST_SAMPLE_PASSWORD" wrk -t2 -c8 -d"${seconds}s" --latency -s scripts/bench-tools/login.lua "http://127.0.0.1:$port" > "$work/login.txt"
  login="$(wrk_rate < "$work/login.txt")"; login_p99="$(wrk_p99 < "$work/login.txt")"
  USERNAMES="$work/deep-users.txt" PASSWORD="$INBOARD_TEST_SAMPLE_PASSWORD" wrk -t2 -c8 -d"${seconds}s" --latency -s scripts/bench-tools/login.lua "http://127.0.0.1:$port" > "$work/deep.txt"
  deep="$(wrk_rate < "$work/deep.txt")"; deep_p99="$(wrk_p99 < "$work/deep.txt")"
  echo "   peak RSS so far: $(( $(hwm) / 1024 )) MB"
  raw="$("$bench" raw-bind "$INBOARD_TEST_LDAP_URL" "uid=alice,ou=Engineering,ou=London,ou=people,$suffix" "$INBOARD_TEST_SAMPLE_PASSWORD" 20000 | json perSecond)"
  local raw_login; raw_login="$("$bench" raw-login "$INBOARD_TEST_LDAP_URL" "$INBOARD_TEST_LDAP_READER_DN" "$INBOARD_TEST_LDAP_READER_PASSWORD" "ou=people,$suffix" "(&(objectClass=inetOrgPerson)(uid=alice))" "$INBOARD_TEST_SAMPLE_PASSWORD" 10000 | json perSecond)"
  # The same work as a login, done raw: search, bind, and one session row committed (the server's own INSERT).
  local raw_session person_id; person_id="$(psql -qtA "$INBOARD_DATABASE_URL" -c "SELECT id FROM people WHERE username = 'bench-admin'")"
  raw_session="$("$bench" raw-login "$INBOARD_TEST_LDAP_URL" "$INBOARD_TEST_LDAP_READER_DN" "$INBOARD_TEST_LDAP_READER_PASSWORD" "ou=people,$suffix" "(&(objectClass=inetOrgPerson)(uid=alice))" "$INBOARD_TEST_SAMPLE_PASSWORD" 5000 "$INBOARD_DATABASE_URL" "$person_id" | json perSecond)"
  # 100 sample people logged in: the many-people status writes just below, the SSE streams after them.
  head -100 "$work/users.txt" | while read -r name; do token "$name" "$INBOARD_TEST_SAMPLE_PASSWORD"; done > "$work/tokens.txt"
  [ "$(grep -c . "$work/tokens.txt")" -eq 100 ] || { echo "error: not all 100 sample people could log in" >&2; exit 1; }
  echo "== status updates of many people at once (for reference)"
  # After the reads, so that they read the board the single person's changes left. Baseline: pgbench updating 96
  # rows of the same table, each client its own 6: as with the PUTs, no change waits for another's row lock.
  local put_many; TOKENS="$work/tokens.txt" wrk -t2 -c"$writers" -d"${seconds}s" -s scripts/bench-tools/put_status.lua "http://127.0.0.1:$port" > "$work/put-many.txt"
  put_many="$(wrk_rate < "$work/put-many.txt")"
  local first_row; first_row="$(psql -qtA "$INBOARD_DATABASE_URL" -c "SELECT min(person_id) FROM statuses")"
  [ "$(psql -qtA "$INBOARD_DATABASE_URL" -c "SELECT count(*) FROM statuses WHERE person_id BETWEEN $first_row AND $first_row + 95")" -eq 96 ] \
    || { echo "error: the statuses table has no 96 consecutive rows for pgbench's baseline" >&2; exit 1; }
  printf '\\set p %s + :client_id %% %s + %s * random(0, %s)\nUPDATE statuses SET note = '"'"'pgbench'"'"', set_at = now() WHERE person_id = :p;\n' \
    "$first_row" "$writers" "$writers" "$(( 96 / writers - 1 ))" > "$work/update-many.sql"
  local pg_many; pg_many="$(PGPASSWORD= pgbench -n -c "$writers" -j 2 -T "$seconds" -f "$work/update-many.sql" "$INBOARD_DATABASE_URL" 2>/dev/null | awk '/^tps/ {print $3}')"
  [ -n "$pg_many" ] || { echo "error: pgbench of the many-people baseline failed" >&2; exit 1; }
  echo "== SSE fan-out"
  # Baseline, same run and clients: the naive asyncio fan-out (no database, no rules), on a port of its own.
  local naive_port
  naive_port="$(free_port)"
  python3 scripts/bench-tools/naive_sse_server.py --port "$naive_port" & naive_pid=$!
  # And the same with one durable INSERT committed before the fan-out (a round trip and a flush to disk).
  local durable_port
  durable_port="$(free_port)"
  # Debian's python3 (python3-asyncpg is installed for it), not whichever python3 comes first on PATH.
  /usr/bin/python3 scripts/bench-tools/naive_sse_server.py --port "$durable_port" --database "$INBOARD_DATABASE_URL" & durable_pid=$!
  for port_up in "$naive_port" "$durable_port"; do
    wait_for "the naive fan-out server on port $port_up" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port_up"
  done
  # Each server $sse_runs times in turn with inboard-bench's client (a few µs per stream, so the figure is the
  # server's), then once each with the Python client of earlier figures (about 50 µs of one core per stream:
  # mostly the client's own time).
  : > "$work/sse.jsonl"; : > "$work/naive.jsonl"; : > "$work/naive-durable.jsonl"
  for _ in $(seq 1 "$sse_runs"); do
    "$bench" sse-fanout "$port" "$work/tokens.txt" 1000 "$server_pid" >> "$work/sse.jsonl"
    "$bench" sse-fanout "$naive_port" "$work/tokens.txt" 1000 "$naive_pid" >> "$work/naive.jsonl"
    "$bench" sse-fanout "$durable_port" "$work/tokens.txt" 1000 "$durable_pid" >> "$work/naive-durable.jsonl"
  done
  local sse_python naive_python
  sse_python="$(python3 scripts/bench-tools/sse_fanout.py --port "$port" --tokens-file "$work/tokens.txt" --streams 1000)"
  naive_python="$(python3 scripts/bench-tools/sse_fanout.py --port "$naive_port" --tokens-file "$work/tokens.txt" --streams 1000)"
  kill "$naive_pid" "$durable_pid" 2>/dev/null; wait "$naive_pid" "$durable_pid" 2>/dev/null || true
  local peak; peak="$(hwm)"
  python3 - "$put" "$pg" "$board" "$login" "$raw" "$deep" "$idle_rss" "$peak" "$work/sse.jsonl" "$put_p99" "$board_p99" "$login_p99" "$deep_p99" "$pg_same" "$raw_login" "$not_modified" "$not_modified_p99" "$work/naive.jsonl" "$raw_session" "$sse_python" "$naive_python" "$work/naive-durable.jsonl" "$board_gzip" "$board_gzip_p99" "$plain_bytes" "$gzip_bytes" "$admin_gzip" "$admin_gzip_p99" "$admin_gzip_bytes" "$hidden_notes" "$bare" "$put_many" "$pg_many" <<'PY'
import json, statistics, sys
put, pg, board, login, raw, deep = map(float, sys.argv[1:7])
idle, peak = float(sys.argv[7]) / 1024, float(sys.argv[8]) / 1024
sse = [json.loads(line) for line in open(sys.argv[9])]
put_p99, board_p99, login_p99, deep_p99 = sys.argv[10:14]
pg_same, raw_login = map(float, sys.argv[14:16])
not_modified, not_modified_p99 = float(sys.argv[16]), sys.argv[17]
naive = [json.loads(line) for line in open(sys.argv[18])]
raw_session = float(sys.argv[19])
sse_python, naive_python = json.loads(sys.argv[20]), json.loads(sys.argv[21])
naive_durable = [json.loads(line) for line in open(sys.argv[22])]
board_gzip, board_gzip_p99, plain_bytes, gzip_bytes = float(sys.argv[23]), sys.argv[24], int(sys.argv[25]), int(sys.argv[26])
admin_gzip, admin_gzip_p99, admin_gzip_bytes, hidden_notes = float(sys.argv[27]), sys.argv[28], int(sys.argv[29]), int(sys.argv[30])
bare, put_many, pg_many = map(float, sys.argv[31:34])
med = lambda runs, key: statistics.median(r[key] for r in runs)
complete = lambda runs: all(r["received"] == r["streams"] and r["putStatus"] == 200 for r in runs)
all_received = complete(sse)
if not complete(naive) or not complete(naive_durable):
    sys.exit(f"error: a naive fan-out run lost streams or its PUT failed: {naive} {naive_durable}")
runs = lambda rs: ", ".join(f"{r['p99_ms']:.1f}" for r in rs)
ms = lambda s: float(s[:-2]) if s.endswith("ms") else float(s[:-2]) / 1000 if s.endswith("us") else float(s[:-1]) * 1000
ok = lambda c: "PASS" if c else "FAIL"
print()
print(f"status PUT  {put:8,.0f}/s (p99 {put_p99}) | pgbench single-row UPDATE {pg:8,.0f}/s | {put/pg:4.0%}   goal >= 50%: {ok(put >= 0.5 * pg)}")
print(f"            same work: pgbench of the PUT's own statement (prepared) {pg_same:8,.0f}/s | {put/pg_same:4.0%}")
print(f"            for reference, 100 people at once, each their own row: PUT {put_many:8,.0f}/s | pgbench UPDATE, each client its own rows {pg_many:8,.0f}/s | {put_many/pg_many:4.0%}")
print(f"board GET   {board:8,.0f}/s (p99 {board_p99}), 1,000 people, JSON as it is ({plain_bytes:,} bytes)   goal >= 10,000/s: {ok(board >= 10000)}")
print(f"            the same bytes from a bare NIO server (no routing, session or cache) {bare:8,.0f}/s | {board/bare:4.0%}")
print(f"board GET   {board_gzip:8,.0f}/s (p99 {board_gzip_p99}), a colleague's, gzip, hidden notes removed ({gzip_bytes:,} bytes)   goal >= 10,000/s: {ok(board_gzip >= 10000)}")
print(f"board GET   {admin_gzip:8,.0f}/s (p99 {admin_gzip_p99}), the administrator's, gzip, its {hidden_notes} hidden notes stored apart ({admin_gzip_bytes:,} bytes)   goal >= 10,000/s: {ok(admin_gzip >= 10000)}")
print(f"board 304   {not_modified:8,.0f}/s (p99 {not_modified_p99}), If-None-Match of the same board   goal >= 20,000/s: {ok(not_modified >= 20000)}")
print(f"login       {login:8,.0f}/s (p99 {login_p99}) | raw search, bind and session INSERT committed {raw_session:8,.0f}/s | {login/raw_session:4.0%}   goal >= 50%: {ok(login >= 0.5 * raw_session)}, p99 < 25 ms: {ok(ms(login_p99) < 25)}")
print(f"            for reference: raw search-then-bind without the session {raw_login:8,.0f}/s ({login/raw_login:4.0%}); raw libldap binds alone {raw:8,.0f}/s")
print(f"300 groups  {deep:8,.0f}/s (p99 {deep_p99}) vs 1 group {login:,.0f}/s: {login/deep:4.2f}x          goal <= 1.5x: {ok(login <= 1.5 * deep)}")
print(f"SSE fan-out {len(sse)} runs of 1,000 streams, all received: {all_received}; median p50 {med(sse, 'p50_ms'):.1f} ms, p99 {med(sse, 'p99_ms'):.1f} ms (runs: {runs(sse)}), server CPU {med(sse, 'serverCPU_ms'):.0f} ms   goal p99 < 50 ms: {ok(all_received and med(sse, 'p99_ms') < 50)}")
print(f"            naive asyncio fan-out (no database, same client): median p50 {med(naive, 'p50_ms'):.1f} ms, p99 {med(naive, 'p99_ms'):.1f} ms (runs: {runs(naive)}), server CPU {med(naive, 'serverCPU_ms'):.0f} ms   goal <= it: {ok(med(sse, 'p99_ms') <= med(naive, 'p99_ms'))}")
print(f"            for reference, the naive fan-out after one durable INSERT (a round trip and a flush): median p50 {med(naive_durable, 'p50_ms'):.1f} ms, p99 {med(naive_durable, 'p99_ms'):.1f} ms (runs: {runs(naive_durable)})")
spread = lambda rs: statistics.median(r["p99_ms"] - r["min_ms"] for r in rs)
print(f"            where the time goes: the first stream has the frame after {med(sse, 'min_ms'):.1f} ms (naive {med(naive, 'min_ms'):.1f}, after its INSERT {med(naive_durable, 'min_ms'):.1f}), the 99th percentile {spread(sse):.1f} ms after that (medians over runs; naive {spread(naive):.1f}, after its INSERT {spread(naive_durable):.1f})")
print(f"            with the Python client of earlier figures (the client's own time dominates): p99 {sse_python['p99_ms']:.1f} ms vs naive {naive_python['p99_ms']:.1f} ms")
print(f"server RSS  idle {idle:5.1f} MB, peak {peak:5.1f} MB                            goal <= 64 / <= 128 MB: {ok(idle <= 64 and peak <= 128)}")
PY
  kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true
  psql -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null || true
}
