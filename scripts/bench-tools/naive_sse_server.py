#!/usr/bin/env python3
"""The SSE fan-out baseline: the least a server can do to fan one change out to N streams. asyncio, standard
library only (asyncpg with --database), no authentication, no per-viewer rules: GET /api/v1/events holds a stream open
(": connected" first); PUT /api/v1/me/status encodes one "status" frame and writes it to every open stream,
then answers 200. sse_fanout.py measures it exactly as it measures Inboard.

With --database URL it first commits the change as one INSERT (asyncpg, PostgreSQL's durable defaults): the least
work that makes a change durable before it is sent, so the part of the gap to Inboard that a durable commit
explains can be told apart from the part its own code adds.

  naive_sse_server.py --port 8081 [--database postgres://...]
"""
import argparse, asyncio, json, time

streams = set()
database = None


async def handle(reader, writer):
    try:
        request = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        writer.close()
        return
    first = request.split(b"\r\n", 1)[0]
    if first.startswith(b"GET /api/v1/events"):
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n: connected\n\n")
        await writer.drain()
        streams.add(writer)
        try:
            await reader.read()  # until the client closes
        finally:
            streams.discard(writer)
            writer.close()
        return
    length = 0
    for line in request.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    if database is not None:
        await database.execute("INSERT INTO naive_changes (body) VALUES ($1)", body.decode("utf-8", "replace"))
    frame = ("event: status\ndata: " + json.dumps({"at": time.time(), "body": body.decode("utf-8", "replace")}) + "\n\n").encode()
    for stream in list(streams):
        stream.write(frame)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{}")
    await writer.drain()
    writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--database")
    a = ap.parse_args()
    if a.database:
        import asyncpg
        global database
        database = await asyncpg.create_pool(a.database, min_size=1, max_size=1)
        await database.execute("CREATE TABLE IF NOT EXISTS naive_changes (id bigserial PRIMARY KEY, body text NOT NULL)")
    server = await asyncio.start_server(handle, "127.0.0.1", a.port, backlog=2048)
    async with server:
        await server.serve_forever()


asyncio.run(main())
