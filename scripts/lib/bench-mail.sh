# scripts/bench mail: drain 5,000 queued notifications to a local SMTP sink with 'inboard mail drain',
# against a Python smtplib loop sending the same number of equivalent messages over one connection to the
# same sink, in the same run.

bench_mail() {
  source scripts/lib/common.sh
  local messages=5000 recipients=500 runs=3
  local admin="$INBOARD_TEST_DATABASE_ADMIN_URL" db="inboard_bench_mail"
  export INBOARD_DATABASE_URL="${INBOARD_DATABASE_URL%/*}/$db" INBOARD_SECRET_KEY_FILE INBOARD_LOG_LEVEL=error
  BENCH_WORK="$(mktemp -d)"; local work="$BENCH_WORK"
  local port; port="$(free_port)"
  /usr/bin/python3 scripts/bench-tools/smtp_sink.py --port "$port" --out "$work/received.jsonl" >/dev/null 2>&1 & BENCH_SINK_PID=$!
  trap 'kill "$BENCH_SINK_PID" 2>/dev/null; rm -rf "$BENCH_WORK"' EXIT
  wait_for "the SMTP sink" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
  psql -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db OWNER inboard" 2>/dev/null
  "$inboard" migrate >/dev/null
  psql -q "$INBOARD_DATABASE_URL" \
    -c "INSERT INTO people (username, display_name, email, source) SELECT 'person' || i, 'Person ' || i, 'person' || i || '@acme.test', 'local' FROM generate_series(1, $recipients) i" \
    -c "INSERT INTO settings (key, value) VALUES ('smtp', jsonb_build_object('enabled', true, 'host', '127.0.0.1', 'port', $port, 'security', 'none',
          'fromAddress', 'inboard@acme.test', 'fromName', 'Inboard', 'events', jsonb_build_object('noteLeft', true)))"
  queue() {
    psql -q "$INBOARD_DATABASE_URL" -c "TRUNCATE outbox" -c "INSERT INTO outbox (event, recipient, payload)
      SELECT 'note', p.id, jsonb_build_object('from', 'Ann Admin', 'body', 'Can you call me about the Lyon visit? Note ' || i)
      FROM generate_series(1, $messages) i JOIN people p ON p.username = 'person' || (1 + i % $recipients)"
  }

  cat <<METHOD

Method: $messages notifications (a note each, to $recipients people) queued in the outbox of a fresh database, then
'inboard mail drain' (release build) claims them in batches of 100, renders each from its template
(text + HTML, quoted-printable), sends each batch over one SMTP connection to an aiosmtpd sink on loopback and
records every outcome in PostgreSQL. Baseline in the same run: Python's smtplib sending $messages messages of
the same shape (multipart/alternative, same size class) over one connection to the same sink, no database.
Each figure is the median of $runs runs.
METHOD

  local ours=() theirs=()
  for run in $(seq 1 "$runs"); do
    queue
    : > "$work/received.jsonl"
    local result; result="$("$inboard" mail drain --json)"
    local sent seconds; sent="$(echo "$result" | json sent)"; seconds="$(echo "$result" | json seconds)"
    [ "$sent" = "$messages" ] || { echo "error: only $sent of $messages sent: $result" >&2; exit 1; }
    local delivered; delivered="$(wc -l < "$work/received.jsonl")"
    [ "$delivered" = "$messages" ] || { echo "error: the sink received $delivered of $messages" >&2; exit 1; }
    ours+=("$(python3 -c "print($messages / $seconds)")")
    : > "$work/received.jsonl"
    theirs+=("$(/usr/bin/python3 - "$port" "$messages" <<'PY'
import smtplib, sys, time
from email.message import EmailMessage
port, count = int(sys.argv[1]), int(sys.argv[2])
start = time.perf_counter()
with smtplib.SMTP("127.0.0.1", port) as smtp:
    for i in range(count):
        message = EmailMessage()
        message["From"] = "Inboard <inboard@acme.test>"
        message["To"] = "Person %d <person%d@acme.test>" % (i, i)
        message["Subject"] = "Ann Admin left you a note"
        message["Message-ID"] = "<baseline.%d@acme.test>" % i
        message.set_content("Hello Person %d,\n\nAnn Admin left you a note on Inboard:\n\nCan you call me about the Lyon visit? Note %d\n\n-- \nInboard" % (i, i))
        message.add_alternative("<p>Hello Person %d,</p><p><strong>Ann Admin</strong> left you a note:</p><blockquote>Can you call me about the Lyon visit? Note %d</blockquote>" % (i, i), subtype="html")
        smtp.send_message(message)
print(count / (time.perf_counter() - start))
PY
)")
    echo "   run $run: inboard ${ours[-1]%.*}/s, smtplib ${theirs[-1]%.*}/s"
  done
  local a b; a="$(median "${ours[@]}")"; b="$(median "${theirs[@]}")"
  python3 - "$a" "$b" <<'PY'
import sys
ours, theirs = map(float, sys.argv[1:3])
ok = lambda c: "PASS" if c else "FAIL"
print()
print(f"inboard mail drain {ours:8,.0f} messages/s | smtplib loop, one connection {theirs:8,.0f} messages/s | {ours/theirs:4.2f}x")
print(f"goal >= 200 messages/s: {ok(ours >= 200)}; goal at least as fast as smtplib: {ok(ours >= theirs)}")
PY
  psql -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null || true
}
