# scripts/bench pool: what a database lease costs. 'SELECT 1' (a round trip and one row) through DatabasePool,
# whose every lease runs in a task of its own watched against its connection closing (WatchedConnection),
# against the same statements on raw PostgresNIO connections with nothing around them, in the same run.

bench_pool() {
  local queries=40000 runs=5
  cat <<METHOD

Method: $queries 'SELECT 1' statements (each read in full) by 1 and by 16 concurrent tasks, release build, on
loopback. Inboard: DatabasePool.query with a pool of as many connections as tasks (one lease per statement).
Baseline in the same run: one PostgresConnection per task, the statement sent on it directly. Runs alternate
between the two; each figure is the median of $runs runs.
METHOD

  local ours1=() raw1=() ours16=() raw16=()
  for _ in $(seq 1 "$runs"); do
    raw1+=("$("$bench" pool-query "$INBOARD_DATABASE_URL" "$queries" 1 raw | json perSecond)")
    ours1+=("$("$bench" pool-query "$INBOARD_DATABASE_URL" "$queries" 1 pool | json perSecond)")
    raw16+=("$("$bench" pool-query "$INBOARD_DATABASE_URL" "$queries" 16 raw | json perSecond)")
    ours16+=("$("$bench" pool-query "$INBOARD_DATABASE_URL" "$queries" 16 pool | json perSecond)")
  done
  python3 - "$(median "${raw1[@]}")" "$(median "${ours1[@]}")" "$(median "${raw16[@]}")" "$(median "${ours16[@]}")" <<'PY'
import sys
raw1, ours1, raw16, ours16 = map(float, sys.argv[1:])
print()
for tasks, raw, ours in ((1, raw1, ours1), (16, raw16, ours16)):
    print(f"{tasks:2d} task(s)  raw connections {raw:8.0f}/s | DatabasePool {ours:8.0f}/s ({ours/raw:5.1%}), "
          f"{(1/ours - 1/raw) * 1e6:+6.1f} µs a statement")
PY
}
