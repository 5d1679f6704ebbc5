#!/usr/bin/env python3
"""Runs a `swift test` command and stops it, with evidence, when it stalls.

A test that never ends would otherwise hold CI until its 90 minutes are gone, and say nothing about why.
When no test has finished for --quiet seconds, this prints the tests still running, the process tree and
every thread's stack of the test process (gdb), kills the run and exits 124.

Exit status: the command's own; 124 for a stall with no failure seen before it, 125 for a stall after a failure.
Usage: test-watchdog.py [--quiet SECONDS] [--evidence SHELL-COMMAND] [--unfinished FILE] -- COMMAND...
With --unfinished, the names of the tests still running at a stall are written to FILE, one per line.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time

# Swift Testing's lines for a test function (a parameterised one's cases are not counted apart).
STARTED = re.compile(r"^◇ Test (\w+\([^)]*\)) started\.")
ENDED = re.compile(r"^[✔✘➜] Test (\w+\([^)]*\)) (passed after|failed after|skipped)")
FAILED = re.compile(r"^✘ Test (\w+\([^)]*\)) failed after")
# Test credentials on command lines (ldap tools' -w, curl's bearer tokens, URLs with a password) stay out of the log.
SECRET = re.compile(r"(-w |Bearer |://[^:/@\s]+:)\S+?(?=[\s@]|$)")


def masked(text):
    """`text` with the test credentials SECRET finds replaced by an ellipsis: one rule for all the watchdog prints."""
    return SECRET.sub(lambda m: m.group(1) + "…", text)


def descendants(root):
    """Every process below `root`, from /proc (ps may be missing)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        for child in children.get(pid, []):
            found.append(child)
            queue.append(child)
    return found


def command_line(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


FRAME = re.compile(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+)")


def compact_stacks(text, depth=14):
    """gdb's stacks as thread headers and function names (Swift's demangled when the toolchain can)."""
    lines = []
    for line in text.splitlines():
        if line.startswith("Thread "):
            lines.append(line[:120])
        elif (m := FRAME.match(line)) and int(m.group(1)) < depth:
            lines.append(f"    #{m.group(1)} {m.group(2)}")
    try:
        names = subprocess.run(["swift", "demangle", "--simplified", "--compact"], input="\n".join(lines),
                               capture_output=True, text=True, timeout=60).stdout.splitlines()
        if len(names) == len(lines):
            lines = names
    except (OSError, subprocess.TimeoutExpired):
        pass
    return [line[:200] for line in lines]


def report_stall(root, running, quiet, evidence):
    print(f"\n== test watchdog: no test finished in {quiet} s; still running ({len(running)}):", flush=True)
    for name in sorted(running):
        print(f"==   {name}", flush=True)
    if evidence:
        print(f"== {evidence}:", flush=True)
        try:
            gathered = subprocess.run(["bash", "-c", evidence], capture_output=True, text=True, timeout=90)
            print(masked(gathered.stdout + gathered.stderr), end="", flush=True)
        except (OSError, subprocess.TimeoutExpired) as error:
            print(f"==   the evidence could not be gathered: {error}", flush=True)
    processes = descendants(root)
    print("== process tree:", flush=True)
    commands = {pid: command_line(pid) for pid in processes}
    for pid, command in commands.items():
        print(f"==   {pid} {masked(command)[:200]}", flush=True)
    for pid, command in commands.items():
        if ".xctest" not in command and "swiftpm-testing-helper" not in command:
            continue
        print(f"== thread stacks of {pid}:", flush=True)
        try:
            stacks = subprocess.run(
                ["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt 30"],
                capture_output=True, text=True, timeout=120)
            print("\n".join(compact_stacks(stacks.stdout)), flush=True)
        except (OSError, subprocess.TimeoutExpired) as error:
            print(f"==   gdb failed: {error}", flush=True)
        except Exception as error:  # the stacks are a courtesy: the kill must still happen
            print(f"==   stacks unreadable: {error}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quiet", type=int, default=300, help="seconds without a finished test that count as a stall")
    parser.add_argument("--evidence", help="a shell command whose output helps explain a stall (run before the kill)")
    parser.add_argument("--unfinished", help="a file for the names of the tests still running at a stall")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    running, failed, last_end = {}, set(), [time.monotonic()]
    lock = threading.Lock()

    def pump():
        for raw in child.stdout:
            line = raw.decode(errors="replace")
            sys.stdout.write(line)
            sys.stdout.flush()
            with lock:
                if m := FAILED.search(line):
                    failed.add(m.group(1))
                if m := STARTED.search(line):
                    running[m.group(1)] = running.get(m.group(1), 0) + 1
                elif m := ENDED.search(line):
                    last_end[0] = time.monotonic()
                    if running.get(m.group(1), 0) > 1:
                        running[m.group(1)] -= 1
                    else:
                        running.pop(m.group(1), None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    while child.poll() is None:
        time.sleep(1)
        with lock:
            stalled = time.monotonic() - last_end[0] > options.quiet
            names, any_failed = list(running), bool(failed)
        if stalled:
            try:
                report_stall(child.pid, names, options.quiet, options.evidence)
            except Exception as error:
                print(f"== the stall report failed: {error}", flush=True)
            if options.unfinished:
                with open(options.unfinished, "w") as f:
                    f.write("".join(name.split("(")[0] + "\n" for name in sorted(names)))
            # SwiftPM may start the test binary in a process group of its own: kill every descendant.
            for pid in descendants(child.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            print("error: the test run stalled and was stopped (see the stacks above)", file=sys.stderr, flush=True)
            sys.exit(125 if any_failed else 124)
    reader.join(timeout=5)
    sys.exit(child.returncode)


if __name__ == "__main__":
    main()
