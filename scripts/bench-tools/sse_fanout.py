#!/usr/bin/env python3
"""Opens N server-sent-event streams, changes a status once through the API, and reports how long each
stream took to receive that change (from the moment before the PUT was sent). Standard library only.

  sse_fanout.py --port 8080 --tokens-file TOKENS --streams 1000

TOKENS holds one session token per line; the streams are spread over them (a person may hold at most 10 live
streams), and the first token's person makes the change.
"""
import argparse, asyncio, json, statistics, time, urllib.request


async def open_stream(port, token, ready, arrived, started):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    writer.write((f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                  "Accept: text/event-stream\r\n\r\n").encode())
    await writer.drain()
    connected = False
    while True:
        line = await reader.readline()
        if not line:
            return
        if not connected and b": connected" in line:
            connected = True
            ready.release()
        if line.startswith(b"event: status") and started[0]:
            arrived.append(time.perf_counter() - started[0])
            writer.close()
            return


def put_status(port, token):
    body = json.dumps({"type": "In", "note": f"bench {time.time()}"}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/me/status", data=body, method="PUT",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    urllib.request.urlopen(request).read()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tokens-file", required=True)
    ap.add_argument("--streams", type=int, default=1000)
    a = ap.parse_args()
    tokens = [line.strip() for line in open(a.tokens_file) if line.strip()]
    if len(tokens) * 10 < a.streams:
        raise SystemExit(f"{a.streams} streams need at least {(a.streams + 9) // 10} tokens, not {len(tokens)}")
    ready, arrived, started = asyncio.Semaphore(0), [], [None]
    tasks = [asyncio.create_task(open_stream(a.port, tokens[i % len(tokens)], ready, arrived, started))
             for i in range(a.streams)]
    for _ in range(a.streams):
        await asyncio.wait_for(ready.acquire(), 60)
    await asyncio.sleep(0.5)
    started[0] = time.perf_counter()
    await asyncio.get_running_loop().run_in_executor(None, put_status, a.port, tokens[0])
    await asyncio.wait(tasks, timeout=10)
    ms = sorted(x * 1000 for x in arrived)
    p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))] if ms else float("nan")
    print(json.dumps({"streams": a.streams, "received": len(ms), "p50_ms": p(0.5), "p99_ms": p(0.99), "max_ms": ms[-1] if ms else None}))


asyncio.run(main())
