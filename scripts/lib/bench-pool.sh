# scripts/bench pool: what a database lease costs. 'SELECT 1' (a round trip and one row) through DatabasePool,
# whose every lease runs in a task of its own watched against its connection closing (WatchedConnection),
# against the same statements on raw PostgresNIO connections with nothing around them, in the same run.

bench_pool() {
  local queries=40000 runs=5
  cat <<METHOD

Method: $queries 'SELECT 1' statements (each read in full) by 1 and by 16 concurrent tasks, release build, on
loopback. Inboard: DatabasePool.query with a pool of as many connections as tasks (one lease per statement).
Baseline in the same run: one PostgresConnection per task, the statement sent on it directly. Runs alternate
between the two; each figure is the median of $runs runs. Besides statements a second, the benchmark process's
own CPU time per statement (user + system, from getrusage): steadier than the wall clock on a shared machine,
and PostgreSQL's own work is not in it.
METHOD

  local out=() tasks through
  for _ in $(seq 1 "$runs"); do
    for tasks in 1 16; do
      for through in raw pool; do
        out+=("$("$bench" pool-query "$INBOARD_DATABASE_URL" "$queries" "$tasks" "$through")")
      done
    done
  done
  printf '%s\n' "${out[@]}" | python3 -c '
import json, statistics, sys
runs = [json.loads(line) for line in sys.stdin]
print()
for tasks in (1, 16):
    pick = lambda through, key: statistics.median(r[key] for r in runs if r["concurrency"] == tasks and r["through"] == through)
    raw, ours = pick("raw", "perSecond"), pick("pool", "perSecond")
    raw_cpu, ours_cpu = pick("raw", "cpuMicrosecondsEach"), pick("pool", "cpuMicrosecondsEach")
    print(f"{tasks:2d} task(s)  raw connections {raw:7.0f}/s, {raw_cpu:5.1f} µs CPU each | DatabasePool {ours:7.0f}/s ({ours/raw:5.1%}), "
          f"{ours_cpu:5.1f} µs CPU each ({ours_cpu - raw_cpu:+5.1f} µs a lease)")
'
}
