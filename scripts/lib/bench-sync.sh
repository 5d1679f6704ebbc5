# scripts/bench sync: a full directory sync of 100,000 people and 2,000 groups (300,000 memberships) from the
# second slapd into an empty Inboard database, against a baseline measured in the same run: ldapsearch's paged
# dump of the same entries and attributes, plus psql \copy of the same rows into the same (empty) tables.

# bench_directory_settings DIR URL: DIR/directory.yaml for the sample organisation on URL (reader account,
# inboard-admins → admin, all-staff → board "Everyone"), with the password in DIR/pw.
bench_directory_settings() {
  local suffix="$INBOARD_TEST_LDAP_BASE"
  echo "$INBOARD_TEST_LDAP_READER_PASSWORD" > "$1/pw"
  cat > "$1/directory.yaml" <<YAML
flavour: openldap
servers: [$2]
bindDN: $INBOARD_TEST_LDAP_READER_DN
bindPasswordFile: pw
baseDN: ou=people,$suffix
groupBaseDN: ou=groups,$suffix
groups:
  - {group: "cn=inboard-admins,ou=groups,$suffix", role: admin}
  - {group: "cn=all-staff,ou=groups,$suffix", board: Everyone}
YAML
}

bench_sync() {
  source scripts/lib/common.sh
  local users=100000 groups=2000 runs=3
  local url="$INBOARD_TEST_LDAP2_URL" suffix="$INBOARD_TEST_LDAP_BASE"
  BENCH_WORK="$(mktemp -d)"; local work="$BENCH_WORK"
  echo "== loading $users people and $groups groups into the second slapd ($url)"
  scripts/services load-org --instance 2 --users "$users" --groups "$groups"
  trap 'scripts/services load-org --instance 2 --users 10000 --groups 100 >/dev/null 2>&1; rm -rf "$BENCH_WORK"' EXIT
  local admin="$INBOARD_TEST_DATABASE_ADMIN_URL" db="inboard_bench_sync" scratch="inboard_bench_copy"
  local scratch_url="${INBOARD_DATABASE_URL%/*}/$scratch"
  export INBOARD_DATABASE_URL="${INBOARD_DATABASE_URL%/*}/$db" INBOARD_SECRET_KEY_FILE INBOARD_LOG_LEVEL=error
  bench_directory_settings "$work" "$url"
  fresh_db() { # fresh_db NAME: an empty, migrated database
    psql -q "$admin" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1 OWNER inboard" 2>/dev/null
    INBOARD_DATABASE_URL="${INBOARD_DATABASE_URL%/*}/$1" "$inboard" migrate >/dev/null
  }
  local people_cols="directory_id, dn, username, display_name, given_name, surname, email, phone, mobile, title, department, office, manager_dn, photo, employee_id, role, active, disabled_reason, disabled_at, disabled_by_sync, mapped_department"
  local user_attrs group_attrs
  user_attrs="$(python3 -c "print(' '.join(sorted(['entryUUID','uid','entryCSN','pwdAccountLockedTime','displayName','givenName','sn','mail','telephoneNumber','mobile','title','departmentNumber','l','manager','jpegPhoto','employeeNumber'])))")"
  group_attrs="entryUUID cn description entryCSN member uniqueMember memberUid"

  cat <<METHOD

Method: slapd 2.5 (mdb, dbnosync) and PostgreSQL 15 on loopback, 2 cores, release build. Inboard: 'inboard sync
--full' into an empty, migrated database (its time includes connecting, the schema check, reading users and
groups page by page, COPY into staging tables, the set-based merge into people/groups/memberships with their
indexes, nested groups of the mapped groups, and the commit), timed with /usr/bin/time, which also gives its
peak RSS. Baseline, same run: 'ldapsearch -E pr=1000/noprompt' of the same entries and attributes to a file,
then 'psql \\copy' of the same rows (people, groups, memberships, nesting, exported from Inboard's result) into
the same tables of an empty, migrated database, with their indexes. (Also shown: the same \\copy into plain
tables without indexes.) No-change incremental: 'inboard sync --incremental' right after the full run; no-change full:
'inboard sync --full' right after that (the same reads, nothing to write). Each figure is the median of $runs runs.
METHOD

  local ours=() base=() dumps=() copies=() plains=() incs=() agains=() rss=() seen=""
  for _ in $(seq 1 "$runs"); do
    fresh_db "$db"
    "$inboard" directory set --file "$work/directory.yaml" >/dev/null
    /usr/bin/time -f "%e %M" -o "$work/time" "$inboard" sync --full --json > "$work/run.json"
    read -r secs kb < "$work/time"
    seen="$(tail -1 "$work/run.json" | json seen)"
    [ "$seen" = "$users" ] || { echo "error: inboard saw $seen people, not $users: $(tail -1 "$work/run.json")" >&2; exit 1; }
    ours+=("$secs"); rss+=("$kb")
    /usr/bin/time -f "%e" -o "$work/time" "$inboard" sync --incremental --json > "$work/inc.json"
    incs+=("$(cat "$work/time")")
    /usr/bin/time -f "%e" -o "$work/time" "$inboard" sync --full --json > "$work/again.json"
    agains+=("$(cat "$work/time")")
    python3 - "$work/again.json" <<'PY'
import json, sys
run = json.loads(open(sys.argv[1]).readlines()[-1])
if run["state"] != "succeeded" or any(run[k] for k in ("created", "updated", "moved", "disabled", "reenabled")):
    sys.exit(f"error: the no-change full run changed something or did not succeed: {run}")
PY

    # The same rows, exported once from what Inboard stored (in id order, so the copies get the same ids).
    if [ ! -s "$work/people.tsv" ]; then
      psql -q "$INBOARD_DATABASE_URL" \
        -c "\\copy (SELECT $people_cols FROM people ORDER BY id) TO '$work/people.tsv'" \
        -c "\\copy (SELECT directory_id, dn, name, description FROM groups ORDER BY id) TO '$work/groups.tsv'" \
        -c "\\copy (SELECT group_id, person_id, direct FROM memberships) TO '$work/memberships.tsv'" \
        -c "\\copy (SELECT parent_id, child_id FROM group_nesting) TO '$work/nesting.tsv'"
    fi
    local t0 t1 t2
    t0=$(now)
    ldapsearch -x -LLL -o ldif-wrap=no -H "$url" -D "$INBOARD_TEST_LDAP_READER_DN" -w "$INBOARD_TEST_LDAP_READER_PASSWORD" \
      -E pr=1000/noprompt -b "ou=people,$suffix" "(objectClass=inetOrgPerson)" $user_attrs > "$work/users.ldif"
    ldapsearch -x -LLL -o ldif-wrap=no -H "$url" -D "$INBOARD_TEST_LDAP_READER_DN" -w "$INBOARD_TEST_LDAP_READER_PASSWORD" \
      -E pr=1000/noprompt -b "ou=groups,$suffix" "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))" $group_attrs > "$work/groups.ldif"
    t1=$(now)
    fresh_db "$scratch"
    t1b=$(now)
    psql -q "$scratch_url" -c "\\copy people ($people_cols) FROM '$work/people.tsv'" \
      -c "\\copy groups (directory_id, dn, name, description) FROM '$work/groups.tsv'" \
      -c "\\copy memberships FROM '$work/memberships.tsv'" -c "\\copy group_nesting FROM '$work/nesting.tsv'"
    t2=$(now)
    psql -q "$scratch_url" -c "CREATE TABLE plain_people AS SELECT $people_cols FROM people LIMIT 0" \
      -c "CREATE TABLE plain_groups AS SELECT directory_id, dn, name, description FROM groups LIMIT 0" \
      -c "CREATE TABLE plain_memberships AS SELECT * FROM memberships LIMIT 0" -c "CREATE TABLE plain_nesting AS SELECT * FROM group_nesting LIMIT 0"
    local p0; p0=$(now)
    psql -q "$scratch_url" -c "\\copy plain_people FROM '$work/people.tsv'" -c "\\copy plain_groups FROM '$work/groups.tsv'" \
      -c "\\copy plain_memberships FROM '$work/memberships.tsv'" -c "\\copy plain_nesting FROM '$work/nesting.tsv'"
    plains+=("$(python3 -c "print($(now) - $p0)")")
    dumps+=("$(python3 -c "print($t1 - $t0)")"); copies+=("$(python3 -c "print($t2 - $t1b)")")
    base+=("$(python3 -c "print(($t1 - $t0) + ($t2 - $t1b))")")
  done
  local memberships; memberships="$(tail -1 "$work/run.json" | json memberships)"
  python3 - "$(median "${ours[@]}")" "$(median "${base[@]}")" "$(median "${dumps[@]}")" "$(median "${copies[@]}")" \
    "$(median "${incs[@]}")" "$(median "${rss[@]}")" "$users" "$groups" "$memberships" "$(median "${plains[@]}")" \
    "$(median "${agains[@]}")" <<'PY'
import sys
ours, base, dump, copy, inc, rss, users, groups, memberships, plain, again = map(float, sys.argv[1:])
ok = lambda c: "PASS" if c else "FAIL"
print()
print(f"baseline  ldapsearch dump {dump:5.2f} s + psql \\copy into the same tables {copy:5.2f} s = {base:5.2f} s")
print(f"          (psql \\copy into plain tables without indexes: {plain:5.2f} s; with it the baseline would be {dump + plain:5.2f} s)")
print(f"inboard   full sync {ours:5.2f} s: {users/ours:,.0f} people/s ({users:,.0f} people, {groups:,.0f} groups, {memberships:,.0f} memberships stored)")
print(f"ratio     {ours/base:4.2f}x the baseline                       goal <= 1.5x:        {ok(ours <= 1.5 * base)}")
print(f"rate      {users/ours:9,.0f} people/s                            goal >= 15,000/s:    {ok(users / ours >= 15000)}")
print(f"no-change incremental run {inc:5.2f} s (process start to exit)   goal <= 1 s:         {ok(inc <= 1.0)}")
print(f"no-change full run {again:5.2f} s: {again/ours:4.2f}x the first import (reading the directory: ldapsearch {dump:5.2f} s)")
print(f"peak RSS  {rss/1024:5.1f} MB during the full sync                   goal <= 150 MB:      {ok(rss <= 150 * 1024)}")
PY
  bench_people_scale "$work" "$users"
  psql -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP DATABASE IF EXISTS $scratch WITH (FORCE)" 2>/dev/null || true
}

# bench_people_scale WORK USERS: the board API of the organisation just synced (USERS people), on a release
# 'inboard serve': first pages, a page deep in the board, and the whole CSV export, with the server's peak RSS.
bench_people_scale() {
  local work="$1" users="$2" port
  port="$(free_port)"
  printf 'bench-password-1\n' > "$work/admin.pw"
  "$inboard" admin create --username bench-admin --password-file "$work/admin.pw" >/dev/null
  psql -q "$INBOARD_DATABASE_URL" -c "INSERT INTO statuses (person_id, type_id, note) SELECT id, (SELECT id FROM status_types WHERE name = 'In'), 'seeded' FROM people WHERE id % 2 = 0"
  INBOARD_HTTP_PORT="$port" "$inboard" serve & local server_pid=$!
  wait_for "inboard serve" 10 curl -fs "http://127.0.0.1:$port/health/ready"
  local token; token="$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'Content-Type: application/json' -d '{"username":"bench-admin","password":"bench-password-1"}' | json token)"
  [ -n "$token" ] || { echo "error: bench-admin could not log in" >&2; kill "$server_pid"; exit 1; }
  local base="http://127.0.0.1:$port/api/v1"
  get_ms() { curl -fs -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" "$@" | awk '{printf "%.1f\n", $1 * 1000}'; }
  local cold warm filtered=() deep=() deep_gzip=() csv_line csv_base department cursor deep_bytes deep_gzip_bytes
  cold="$(get_ms "$base/people")"
  warm="$(for _ in $(seq 1 20); do get_ms "$base/people"; done | sort -n | sed -n 10p)"
  department="$(psql -qtA "$INBOARD_DATABASE_URL" -c "SELECT department FROM people WHERE department IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")"
  for _ in $(seq 1 20); do filtered+=("$(get_ms "$base/people?department=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$department")")"); done
  cursor="$(psql -qtA "$INBOARD_DATABASE_URL" -c "SELECT lower(display_name), id FROM people ORDER BY lower(display_name), id OFFSET $(( users / 2 )) LIMIT 1" | python3 -c 'import sys,json,base64; n,i=sys.stdin.read().strip().rsplit("|",1); print(base64.urlsafe_b64encode(json.dumps({"n":n,"i":int(i)}).encode()).decode().rstrip("="))')"
  for _ in $(seq 1 20); do deep+=("$(get_ms "$base/people?after=$cursor")"); done
  for _ in $(seq 1 20); do deep_gzip+=("$(get_ms --compressed "$base/people?after=$cursor")"); done
  deep_bytes="$(curl -fs -o /dev/null -w '%{size_download}' -H "Authorization: Bearer $token" "$base/people?after=$cursor")"
  deep_gzip_bytes="$(curl -fs -o /dev/null -w '%{size_download}' -H "Authorization: Bearer $token" -H 'Accept-Encoding: gzip' "$base/people?after=$cursor")"
  local t0 t1; t0=$(now)
  csv_line="$(curl -fs -H "Authorization: Bearer $token" "$base/people.csv" -w '%{size_download}\n' -o "$work/board.csv")"
  t1=$(now)
  local rows; rows=$(( $(wc -l < "$work/board.csv") - 1 ))
  local hwm; hwm="$(awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status")"
  local listed; listed="$(psql -qtA "$INBOARD_DATABASE_URL" -c "SELECT count(*) FROM people p WHERE active AND NOT (source = 'local' AND COALESCE(role_override, role) = 'admin')")"
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
  local b0; b0=$(now)
  psql -q "$INBOARD_DATABASE_URL" -c "\\copy (SELECT p.display_name, p.username, p.email, p.department, t.name, s.note, s.return_at FROM people p LEFT JOIN statuses s ON s.person_id = p.id LEFT JOIN status_types t ON t.id = s.type_id WHERE p.active AND NOT (p.source = 'local' AND COALESCE(p.role_override, p.role) = 'admin') ORDER BY lower(p.display_name), p.id) TO '$work/baseline.csv' CSV"
  csv_base="$(python3 -c "print($(now) - $b0)")"
  cat <<METHOD

Board API of the $users people just synced (release 'inboard serve', same PostgreSQL, half of them with a status):
time to the last byte with curl on loopback, median of 20 unless said. Baseline for the export: psql \\copy of
the same columns in the same order to a CSV file.
METHOD
  python3 - "$cold" "$warm" "$(median "${filtered[@]}")" "$(median "${deep[@]}")" "$(python3 -c "print($t1 - $t0)")" "$csv_line" "$rows" "$hwm" "$csv_base" "$users" "$listed" "$(median "${deep_gzip[@]}")" "$deep_bytes" "$deep_gzip_bytes" <<'PY'
import sys
cold, warm, filtered, deep, csv_s, csv_bytes, rows, hwm, base, users, listed, deep_gzip, deep_bytes, deep_gzip_bytes = map(float, sys.argv[1:])
ok = lambda c: "PASS" if c else "FAIL"
print(f"first page  {cold:6.1f} ms right after start (reads and caches it), {warm:5.1f} ms cached   goal <= 50 ms: {ok(max(cold, warm) <= 50)}")
print(f"            {filtered:6.1f} ms with a department filter (not cached)                goal <= 50 ms: {ok(filtered <= 50)}")
print(f"deep page   {deep:6.1f} ms for the page after person {users / 2:,.0f} (keyset cursor), {deep_bytes / 1e3:,.0f} KB")
print(f"            {deep_gzip:6.1f} ms the same page gzipped (curl --compressed; compressed for each request), {deep_gzip_bytes / 1e3:,.0f} KB")
print(f"CSV export  {rows:,.0f} rows, {csv_bytes / 1e6:.1f} MB in {csv_s:.2f} s ({rows / csv_s:,.0f} rows/s); psql \\copy of the same rows {base:.2f} s ({csv_s / base:.1f}x)")
print(f"server RSS  {hwm / 1024:5.1f} MB peak after all of it                               goal <= 128 MB: {ok(hwm <= 128 * 1024)}")
print(f"            the export holds every person the board lists ({listed:,.0f}): {ok(rows == listed)}")
PY
}
