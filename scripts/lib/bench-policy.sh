# scripts/bench policy: 100,000 users and 10,000 computers in a 5-level OU tree, 200 policies with 600 links
# and 20 rings; 'inboard policy build' from a snapshot (each distinct manifest stored once, an index shard per
# name hash), timed by phase, against Python writing the same files of the same sizes in the same run.

bench_policy() {
  BENCH_WORK="$(mktemp -d)"; local work="$BENCH_WORK"
  trap 'rm -rf "$BENCH_WORK"' EXIT
  echo "== generating the organisation and the policy set"
  /usr/bin/python3 scripts/bench-tools/gen_policy_org.py "$work" --users 100000 --computers 10000 --policies 200 --links 600 --rings 20
  cat <<METHOD

Method: release build; 'inboard policy build --directory snapshot.json --out DIR' on 2 cores, phases timed
inside the command (read and validate the YAML and the 110,000-target snapshot; evaluate every target's RSoP,
encoding each distinct manifest once; write the distinct manifests (named by SHA-256), 512 index shards mapping
each name to its manifest, ClientInstall.ini per ring and index.json into a staging folder renamed over DIR).
Peak RSS from /usr/bin/time. Baseline in the same run: Python writing as many files, of the sizes the build
wrote, without encoding anything. Two builds: into a new folder, and, after one link changes, over the previous
output (unchanged files kept by hard link). A target's lookup: its shard, then the manifest it names (or one
request to the server).
METHOD
  local first second
  first="$(/usr/bin/time -f 'peak RSS %M KB' "$inboard" policy build --policy-dir "$work/policy" --directory "$work/directory.json" --out "$work/out" --as-of 2026-11-25T12:00:00Z 2>&1)"
  echo "$first" | sed 's/^/   first build: /'
  # One link changes: the deepest container that has links gets another policy.
  /usr/bin/python3 - "$work/policy/links.yaml" <<'PY'
import json, sys
path = sys.argv[1]
links = json.load(open(path))
container = max((c for c in links["containers"] if c["dn"].startswith("ou=team")), key=lambda c: c["dn"])
container["links"][0]["policy"] = "p199" if container["links"][0]["policy"] != "p199" else "p198"
json.dump(links, open(path, "w"))
print("   changed one link at " + container["dn"])
PY
  second="$(/usr/bin/time -f 'peak RSS %M KB' "$inboard" policy build --policy-dir "$work/policy" --directory "$work/directory.json" --out "$work/out" --as-of 2026-11-25T12:00:00Z 2>&1)"
  echo "$second" | sed 's/^/   rebuild:     /'
  local baseline
  baseline="$(/usr/bin/python3 - "$work/out" "$work/py" <<'PY'
import os, sys, time
source, target = sys.argv[1], sys.argv[2]
sizes = [os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(source) for name in names]
start = time.perf_counter()
for i, size in enumerate(sizes):
    folder = os.path.join(target, "%02x" % (i % 256))
    if i < 256: os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "f%d.json" % i), "wb") as f: f.write(b"x" * size)
print("%.2f" % (time.perf_counter() - start))
PY
)"
  python3 - "$first" "$baseline" "$second" <<'PY'
import re, sys
text, baseline, rebuild = sys.argv[1], float(sys.argv[2]), sys.argv[3]
read, evaluate, write = (float(x) for x in re.findall(r"validate ([0-9.]+) s, evaluate \(RSoP and manifests\) ([0-9.]+) s, write ([0-9.]+) s", text)[0])
rss = int(re.search(r"peak RSS (\d+) KB", text).group(1)) / 1024
ok = lambda c: "PASS" if c else "FAIL"
print()
files = int(re.search(r"(\d+) files in", text).group(1))
distinct = int(re.search(r"(\d+) distinct manifests", text).group(1))
print(f"read + RSoP + manifests in memory {read + evaluate:5.2f} s (read {read:.2f}, evaluate {evaluate:.2f})   goal <= 2 s: {ok(read + evaluate <= 2)}")
print(f"writing {files:,} files ({distinct:,} distinct manifests) {write:5.2f} s | Python writing the same files {baseline:5.2f} s")
print(f"total                              {read + evaluate + write:5.2f} s, peak RSS {rss:.0f} MB   goal <= 2 s end to end: {ok(read + evaluate + write <= 2)}, <= 150 MB: {ok(rss <= 150)}")
written, kept = (int(x) for x in re.search(r"(\d+) written, (\d+) unchanged", rebuild).groups())
r_read, r_eval, r_write = (float(x) for x in re.findall(r"validate ([0-9.]+) s, evaluate \(RSoP and manifests\) ([0-9.]+) s, write ([0-9.]+) s", rebuild)[0])
print(f"rebuild after one link change      {r_read + r_eval + r_write:5.2f} s: {written:,} files written, {kept:,} kept (unchanged manifests and shards)")
PY
}
