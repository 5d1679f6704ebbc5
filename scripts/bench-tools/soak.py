#!/usr/bin/env python3
"""A steady mix against a running 'inboard serve' for some minutes, sampled each minute. Standard library only.

  soak.py --port P --pid PID --users-file USERS --password PW --database-url URL --sink-file F \
          --minutes 10 --streams 500 --out soak.json

USERS holds one directory username per line (all with password PW). The mix, each part at a steady rate:
status changes, board pages, logins (each followed by a logout), notes (each an email), and STREAMS live SSE
clients held open the whole time. Each minute: the server's RSS, open files and threads, its PostgreSQL
connections, its established TCP connections, requests and errors per kind, p99 latency, SSE events received,
mails the sink accepted. Prints a table and writes every sample to --out.
"""
import argparse, asyncio, json, os, random, subprocess, time

RATES = {"status": 20.0, "board": 20.0, "login": 1.0, "note": 0.5}  # per second


class Connection:
    """One keep-alive HTTP/1.1 connection (Content-Length or chunked answers)."""

    def __init__(self, port):
        self.port, self.reader, self.writer = port, None, None

    async def request(self, method, path, token=None, body=None):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port, limit=1 << 22)
        data = json.dumps(body).encode() if body is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(data)}\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\n"
        if token:
            head += f"Authorization: Bearer {token}\r\n"
        try:
            self.writer.write(head.encode() + b"\r\n" + data)
            await self.writer.drain()
            status = int((await self.reader.readline()).split()[1])
            headers = {}
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            if "content-length" in headers:
                payload = await self.reader.readexactly(int(headers["content-length"]))
            elif headers.get("transfer-encoding") == "chunked":
                payload = b""
                while (size := int((await self.reader.readline()).strip(), 16)) > 0:
                    payload += await self.reader.readexactly(size)
                    await self.reader.readline()
                await self.reader.readline()
            else:
                payload = b""
            if headers.get("connection") == "close":
                self.close()
            return status, payload
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            self.close()
            return 0, b""

    def close(self):
        if self.writer:
            self.writer.close()
        self.reader = self.writer = None


class Tally:
    """Requests, errors and latencies of the current minute."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.counts, self.errors, self.latency, self.events, self.reconnects = {}, {}, {}, 0, 0
        self.error_examples = []

    def record(self, kind, ok, seconds, detail=""):
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.latency.setdefault(kind, []).append(seconds)
        if not ok:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if len(self.error_examples) < 5:
                self.error_examples.append(f"{kind}: {detail}")


async def login(port, username, password):
    connection = Connection(port)
    status, body = await connection.request("POST", "/api/v1/auth/login", body={"username": username, "password": password})
    connection.close()
    if status != 200:
        raise SystemExit(f"{username} cannot log in: {status} {body[:200]!r}")
    return json.loads(body)["token"]


async def steady(kind, rate, tally, stop, act):
    """Calls act() `rate` times a second, spread over as many workers as it takes."""
    workers = max(1, int(rate))
    interval = workers / rate

    async def worker(index):
        connection = Connection(PORT)
        next_at = time.monotonic() + random.random() * interval
        while time.monotonic() < stop:
            await asyncio.sleep(max(0, next_at - time.monotonic()))
            next_at += interval
            started = time.monotonic()
            ok, detail = await act(connection)
            tally.record(kind, ok, time.monotonic() - started, detail)
        connection.close()

    await asyncio.gather(*(worker(i) for i in range(workers)))


async def stream(port, token, tally, stop, opened):
    """One SSE client for the whole soak; a dropped stream is reconnected and counted."""
    first = True
    while time.monotonic() < stop:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
            writer.write((f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                          "Accept: text/event-stream\r\n\r\n").encode())
            await writer.drain()
            while time.monotonic() < stop:
                line = await asyncio.wait_for(reader.readline(), max(0.1, stop - time.monotonic()))
                if not line:
                    break
                if first and b": connected" in line:
                    first = False
                    opened.release()
                if line.startswith(b"event: "):
                    tally.events += 1
            writer.close()
        except (OSError, asyncio.TimeoutError):
            pass
        if time.monotonic() < stop:
            tally.reconnects += 1
            await asyncio.sleep(1)


def read_proc(pid):
    status = open(f"/proc/{pid}/status").read()
    field = lambda name: int(next(l.split()[1] for l in status.splitlines() if l.startswith(name + ":")))
    return {"rss_mb": field("VmRSS") / 1024, "threads": field("Threads"), "open_files": len(os.listdir(f"/proc/{pid}/fd"))}


def shell(command):
    return subprocess.run(command, shell=True, capture_output=True, text=True).stdout.strip()


async def main():
    global PORT
    ap = argparse.ArgumentParser()
    for name in ("--users-file", "--password", "--database-url", "--sink-file", "--out"):
        ap.add_argument(name, required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--streams", type=int, default=500)
    a = ap.parse_args()
    PORT = a.port
    users = [line.strip() for line in open(a.users_file) if line.strip()]
    if len(users) * 10 < a.streams:
        raise SystemExit(f"{a.streams} streams need at least {(a.streams + 9) // 10} people, not {len(users)}")
    tokens = {}
    for username in users:
        tokens[username] = await login(a.port, username, a.password)
    connection = Connection(a.port)
    _, body = await connection.request("GET", "/api/v1/status-types", token=tokens[users[0]])
    types = [t["name"] for t in json.loads(body)["statusTypes"] if not t.get("needsReturnTime") and t.get("active", True)]
    _, body = await connection.request("GET", "/api/v1/people?limit=1000", token=tokens[users[0]])
    person_ids = [p["id"] for p in json.loads(body)["people"]]
    connection.close()

    tally, counter = Tally(), [0]
    stop = time.monotonic() + a.minutes * 60 + 600  # the streams are cancelled once the load has ended
    opened = asyncio.Semaphore(0)
    streams = [asyncio.create_task(stream(a.port, tokens[users[i % len(users)]], tally, stop, opened))
               for i in range(a.streams)]
    for _ in range(a.streams):
        await asyncio.wait_for(opened.acquire(), 120)

    async def set_status(connection):
        counter[0] += 1
        status, body = await connection.request("PUT", "/api/v1/me/status", token=tokens[random.choice(users)],
                                                body={"type": random.choice(types), "note": f"soak {counter[0]}"})
        return status == 200, f"{status} {body[:120]!r}"

    async def read_board(connection):
        status, body = await connection.request("GET", "/api/v1/people?limit=100", token=tokens[random.choice(users)])
        return status == 200 and body.startswith(b"{"), f"{status} {body[:120]!r}"

    async def login_and_out(connection):
        username = random.choice(users)
        status, body = await connection.request("POST", "/api/v1/auth/login",
                                                body={"username": username, "password": a.password})
        if status != 200:
            return False, f"{status} {body[:120]!r}"
        status, body = await connection.request("POST", "/api/v1/auth/logout", token=json.loads(body)["token"])
        return status == 204, f"logout {status} {body[:120]!r}"

    async def leave_note(connection):
        status, body = await connection.request(
            "POST", f"/api/v1/people/{random.choice(person_ids)}/notes", token=tokens[random.choice(users)],
            body={"body": f"soak note {time.time():.0f}"})
        return status == 201, f"{status} {body[:120]!r}"

    acts = {"status": set_status, "board": read_board, "login": login_and_out, "note": leave_note}
    # Timed from now, after the streams opened: the load runs past the last sample.
    begun = time.monotonic()
    stop = begun + a.minutes * 60 + 5
    load = [asyncio.create_task(steady(kind, RATES[kind], tally, stop - 2, acts[kind])) for kind in RATES]

    samples = []
    database = a.database_url.rsplit("/", 1)[1]
    for minute in range(1, int(a.minutes) + 1):
        await asyncio.sleep(max(0, begun + minute * 60 - time.monotonic()))
        sample = {"minute": minute, **read_proc(a.pid)}
        sample["db_connections"] = int(shell(
            f"psql -qAt '{a.database_url}' -c \"SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}'"
            f" AND pid <> pg_backend_pid()\"") or -1)
        sample["tcp_connections"] = int(shell(f"ss -Htn state established '( sport = :{a.port} )' | wc -l") or -1)
        sample["mails_delivered"] = int(shell(f"wc -l < {a.sink_file}") or 0)
        sample["outbox_waiting"] = int(shell(
            f"psql -qAt '{a.database_url}' -c \"SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')\"") or -1)
        sample["requests"] = dict(tally.counts)
        sample["errors"] = dict(tally.errors)
        sample["error_examples"] = list(tally.error_examples)
        sample["p99_ms"] = {k: round(1000 * sorted(v)[int(0.99 * (len(v) - 1))], 1) for k, v in tally.latency.items()}
        sample["sse_events"] = tally.events
        sample["sse_reconnects"] = tally.reconnects
        tally.reset()
        samples.append(sample)
        print(json.dumps(sample), flush=True)
    await asyncio.gather(*load)
    for task in streams:
        task.cancel()
    json.dump({"rates_per_second": RATES, "streams": a.streams, "samples": samples}, open(a.out, "w"), indent=1)


PORT = 0
asyncio.run(main())
