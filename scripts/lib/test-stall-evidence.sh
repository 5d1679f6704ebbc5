#!/usr/bin/env bash
# What PostgreSQL and the sockets looked like when a test run stalled (called by scripts/lib/test-watchdog.py).
admin="${INBOARD_TEST_DATABASE_ADMIN_URL:-}"
# PostgreSQL may be what hangs: every question has a few seconds.
export PGCONNECT_TIMEOUT=5 PGOPTIONS="-c statement_timeout=5000"
if [ -n "$admin" ]; then
  echo "-- PostgreSQL sessions busy or in a transaction:"
  psql "$admin" -X -q -c "SELECT pid, datname, state, wait_event_type || ':' || wait_event AS waiting,
    now() - xact_start AS in_xact, pg_blocking_pids(pid) AS blocked_by,
    left(regexp_replace(query, '\s+', ' ', 'g'), 100) AS query
    FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
    AND (state <> 'idle' OR xact_start IS NOT NULL) ORDER BY xact_start" 2>&1
  echo "-- locks not granted:"
  psql "$admin" -X -q -c "SELECT pid, locktype, mode, database, relation, objid FROM pg_locks WHERE NOT granted" 2>&1
fi
echo "-- TCP sockets with data waiting, and which processes hold them:"
ss -tnp 2>&1 | awk 'NR == 1 || $2 > 0 || $3 > 0' | head -40
echo "-- processes holding more than 20 sockets (a child that inherited a test's connections):"
for fd_dir in /proc/[0-9]*/fd; do
  pid=${fd_dir#/proc/}; pid=${pid%/fd}
  n=$(ls -l "$fd_dir" 2>/dev/null | grep -c 'socket:')
  [ "$n" -gt 20 ] && echo "  $pid ($n sockets): $(tr '\0' ' ' < "/proc/$pid/cmdline" | cut -c1-150)"
done
exit 0
