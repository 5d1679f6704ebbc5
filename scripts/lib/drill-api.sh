# scripts/drills api: schemathesis against openapi.yaml on a running 'inboard serve' (a database of its own,
# synced from the sample slapd) as an anonymous caller, a plain user and an admin. Passes when schemathesis finds
# nothing: no server error, every status code, content type, header and body as the spec says.
# Needs: $inboard (the built binary), the test services' env (sourced by scripts/drills).

SCHEMATHESIS_VERSION=4.32.5

drill_api() {
  source scripts/lib/common.sh
  source scripts/lib/install.sh
  source scripts/lib/bench-sync.sh  # before the RETURN trap below: sourcing a file fires it
  local examples="${1:-20}" t0=$SECONDS
  apt_install python3-venv
  local venv="$LOCAL_DIR/schemathesis"
  if [ "$("$venv/bin/st" --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
    log "installing schemathesis $SCHEMATHESIS_VERSION from PyPI into $venv"
    "$SYSTEM_PYTHON" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi

  local db="inboard_drill_api" work port server_pid=""
  work="$(mktemp -d)"
  port="$(free_port)"
  export INBOARD_DATABASE_URL="${INBOARD_DATABASE_URL%/*}/$db" INBOARD_LOG_LEVEL=error INBOARD_HTTP_PORT="$port"
  # shellcheck disable=SC2064
  trap "[ -n \"\$server_pid\" ] && kill \$server_pid 2>/dev/null; rm -rf '$work'" RETURN
  psql -q "$INBOARD_TEST_DATABASE_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
    -c "CREATE DATABASE $db OWNER inboard" 2>/dev/null
  "$inboard" migrate >/dev/null
  bench_directory_settings "$work" "$INBOARD_TEST_LDAP_URL"
  "$inboard" directory set --file "$work/directory.yaml" >/dev/null
  "$inboard" sync --full >/dev/null
  printf 'drill-password-1\n' > "$work/pw"
  "$inboard" admin create --username drill-admin --password-file "$work/pw" >/dev/null
  "$inboard" admin create --username drill-user --password-file "$work/pw" >/dev/null
  psql -q "$INBOARD_DATABASE_URL" -c "UPDATE people SET role = 'user' WHERE username = 'drill-user'"

  "$inboard" serve > "$work/serve.log" 2>&1 & server_pid=$!
  wait_for "inboard serve" 30 curl -fs "http://127.0.0.1:$port/health/ready"
  token() {
    curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'Content-Type: application/json' \
      -d "{\"username\":\"$1\",\"password\":\"drill-password-1\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
  }
  # Both tokens first: the anonymous run's failed logins lock the loopback address out for a while.
  local user_token admin_token
  user_token="$(token drill-user)"; admin_token="$(token drill-admin)"
  [ -n "$user_token" ] && [ -n "$admin_token" ] || { echo "error: the drill accounts cannot log in" >&2; return 1; }
  local seed="${INBOARD_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}" failed=0 who
  echo "== api: schemathesis $SCHEMATHESIS_VERSION, $examples examples per operation, seed $seed (INBOARD_FUZZ_SEED replays)"
  for who in anonymous user admin; do
    local auth=() excluded=()
    case "$who" in
      user) auth=(-H "Authorization: Bearer $user_token") ;;
      admin) auth=(-H "Authorization: Bearer $admin_token") ;;
    esac
    # Signed in, the caller must stay signed in: logging out and revoking sessions end the token the run uses.
    [ "$who" = anonymous ] || excluded=(--exclude-path /api/v1/auth/logout --exclude-path '/api/v1/admin/people/{id}/sessions')
    mkdir -p "$LOCAL_DIR/drills"
    local out="$LOCAL_DIR/drills/api-$who.txt" rc=0
    if [ "$who" != anonymous ] && ! curl -fs "${auth[@]}" "http://127.0.0.1:$port/api/v1/me" >/dev/null; then
      failed=1; echo "   as $who: the token no longer works (an earlier run ended it)"; continue
    fi
    "$venv/bin/st" --config-file scripts/drills-schemathesis.toml run openapi.yaml --url "http://127.0.0.1:$port" "${auth[@]}" "${excluded[@]}" \
      --max-examples "$examples" --seed "$seed" --no-color > "$out" 2>&1 || rc=$?
    local cases failures
    cases="$(grep -Eo '[0-9]+ generated' "$out" | head -1)"
    failures="$(grep -E '^ +❌ ' "$out" | sed 's/^ *❌ //' | paste -sd ';' -)"
    if [ "$rc" = 0 ]; then
      echo "   as $who: ${cases:-? generated} test cases, no failures"
    else
      failed=1
      echo "   as $who: FAILED (rc $rc): ${failures:-see below}; the whole report: $out"
      grep -E '^_+ [A-Z]+ /|^- ST[0-9]+' "$out" | sed 's/^_* //; s/ _*$//' | head -60 | sed 's/^/     /'
    fi
  done
  if ! kill -0 "$server_pid" 2>/dev/null; then failed=1; echo "   the server died: $(tail -20 "$work/serve.log")"; fi
  if grep -q '"level":"critical"\|Fatal error' "$work/serve.log"; then failed=1; echo "   the server logged a crash"; fi
  [ "$failed" = 0 ] && echo "== api: passed in $((SECONDS - t0)) s" || echo "== api: FAILED"
  return "$failed"
}
