#!/usr/bin/env python3
"""Reads soak.py's samples: prints them as a Markdown table, judges the trends, and draws the plot.

  soak_report.py soak.json [--plot soak.png]

Passes (exit 0) when no request failed, no stream had to reconnect, the outbox kept up, and nothing grows:
after the first two minutes (warm-up), RSS grows by less than 5% from its first to its last third (plus 2 MB of
slack), and open files, threads, PostgreSQL and TCP connections end no higher than their warm-up maximum plus 2.
"""
import json, sys


def thirds(values):
    n = max(1, len(values) // 3)
    return sum(values[:n]) / n, sum(values[-n:]) / n


def main():
    data = json.load(open(sys.argv[1]))
    samples = data["samples"]
    kinds = list(data["rates_per_second"])
    print("| min | RSS MB | files | threads | PG conns | TCP conns | " + " | ".join(f"{k} /min (p99 ms)" for k in kinds)
          + " | errors | SSE events | mails sent | outbox waiting |")
    print("|" + "---|" * (10 + len(kinds)))
    for s in samples:
        cells = [f"{s['requests'].get(k, 0)} ({s['p99_ms'].get(k, 0):.0f})" for k in kinds]
        print(f"| {s['minute']} | {s['rss_mb']:.1f} | {s['open_files']} | {s['threads']} | {s['db_connections']} | "
              f"{s['tcp_connections']} | " + " | ".join(cells)
              + f" | {sum(s['errors'].values())} | {s['sse_events']} | {s['mails_delivered']} | {s['outbox_waiting']} |")

    problems = []
    errors = sum(sum(s["errors"].values()) for s in samples)
    if errors:
        problems.append(f"{errors} requests failed, e.g. {[e for s in samples for e in s['error_examples']][:3]}")
    reconnects = sum(s["sse_reconnects"] for s in samples)
    if reconnects:
        problems.append(f"{reconnects} stream reconnects")
    if samples[-1]["outbox_waiting"] > 50:
        problems.append(f"the outbox fell behind: {samples[-1]['outbox_waiting']} mails waiting at the end")
    steady = samples[2:] if len(samples) > 4 else samples
    first, last = thirds([s["rss_mb"] for s in steady])
    if last > first * 1.05 + 2:
        problems.append(f"RSS grows: {first:.1f} -> {last:.1f} MB")
    for key in ("open_files", "threads", "db_connections", "tcp_connections"):
        warm = max(s[key] for s in samples[:3])
        end = max(s[key] for s in samples[-3:])
        if end > warm + 2:
            problems.append(f"{key} grows: at most {warm} in the first minutes, {end} at the end")
    print()
    print(f"RSS after warm-up: first third {first:.1f} MB, last third {last:.1f} MB; "
          f"{sum(sum(s['requests'].values()) for s in samples)} requests, {errors} failed; "
          f"{sum(s['sse_events'] for s in samples)} SSE events to {data['streams']} streams, {reconnects} reconnects")

    if "--plot" in sys.argv:
        plot(samples, kinds, sys.argv[sys.argv.index("--plot") + 1])
    if problems:
        print("FAILED: " + "; ".join(problems))
        sys.exit(1)
    print("passed: no errors, no upward trend")


def plot(samples, kinds, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    minutes = [s["minute"] for s in samples]
    figure, axes = plt.subplots(2, 2, figsize=(10, 6.5))
    series = [
        (axes[0][0], "Server memory (RSS, MB)", [("RSS", [s["rss_mb"] for s in samples])]),
        (axes[0][1], "Open files and threads", [("open files", [s["open_files"] for s in samples]),
                                                ("threads", [s["threads"] for s in samples])]),
        (axes[1][0], "Connections", [("PostgreSQL", [s["db_connections"] for s in samples]),
                                     ("TCP (incl. SSE)", [s["tcp_connections"] for s in samples])]),
        (axes[1][1], "p99 latency (ms)", [(k, [s["p99_ms"].get(k, 0) for s in samples]) for k in kinds]),
    ]
    for axis, title, lines in series:
        for label, values in lines:
            axis.plot(minutes, values, marker="o", label=label)
        axis.set_title(title)
        axis.set_xlabel("minute")
        axis.set_ylim(bottom=0)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle("Inboard soak: steady mix, sampled each minute")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    print(f"plot: {path}")


main()
