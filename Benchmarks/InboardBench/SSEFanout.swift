import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The SSE fan-out client of `scripts/bench api`: opens `streams` event streams on one thread with poll(2), changes a
/// status once, and reports how long each stream took to receive it (from just before the PUT's connection opens).
/// It costs a few microseconds per stream, so its figures are the server's; the Python client it replaced spent
/// about 50 µs of one core per stream and measured itself (tools/sse_fanout.py still runs for comparison).
struct SSEFanout {
    let port: UInt16
    let tokens: [String]
    let streams: Int
    /// The server's process: its CPU time from the change until it is quiet again is reported beside the latency.
    var serverPID: Int32?

    struct Result {
        var arrivals: [Double]  // milliseconds, sorted
        var putStatus: Int
        /// When the PUT's answer arrived, from before it was sent.
        var putAnsweredMilliseconds: Double?
        /// CPU time the server's threads spent from just before the change to 300 ms after the last arrival.
        var serverCPUMilliseconds: Double?
    }

    func run() throws -> Result {
        // One entry per stream, then the PUT's; one no longer watched is -1 (poll skips it). Streams stay open
        // until the end, as a real client's would: closing each on arrival would add a thousand disconnects to
        // the server's work while it fans out.
        var watched: [pollfd] = []
        var sockets: [Int32] = []
        defer { for fd in sockets { close(fd) } }
        for index in 0..<streams {
            let fd = try connectLoopback()
            sockets.append(fd)
            watched.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
            try send(
                fd,
                "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(tokens[index % tokens.count])"
                    + "\r\nAccept: text/event-stream\r\n\r\n")
        }
        watched.append(pollfd(fd: -1, events: Int16(POLLIN), revents: 0))
        // Every stream is open once it has said ": connected".
        var seen = [String](repeating: "", count: streams)
        var connected = 0
        var connectedYet = [Bool](repeating: false, count: streams)
        let openBy = Date().addingTimeInterval(60)
        try loop(&watched, until: { connected == streams || Date() > openBy }) { index, bytes in
            guard index < streams, !connectedYet[index] else { return false }
            seen[index] += bytes
            if seen[index].contains(": connected") {
                connectedYet[index] = true
                connected += 1
                seen[index] = ""
            }
            return false
        }
        guard connected == streams else { throw Failure("only \(connected) of \(streams) streams opened in 60 s") }
        usleep(500_000)
        // SSE_PROFILE_CHANGES=N: N unmeasured changes first, each awaited on every stream, so that a profiler
        // attached to the server sees fan-outs rather than connections opening.
        let extra = max(0, Int(ProcessInfo.processInfo.environment["SSE_PROFILE_CHANGES"] ?? "0") ?? 0)
        for round in 0..<extra {
            let put = try changeStatus(note: "round \(round) end")
            var count = 0
            var received = [String](repeating: "", count: streams)  // a frame may arrive in two reads
            let giveUp = Date().addingTimeInterval(10)
            try loop(&watched, until: { count == streams || Date() > giveUp }) { index, bytes in
                guard index < streams else { return false }
                received[index] += bytes
                if received[index].contains("round \(round) end") {
                    count += 1
                    received[index] = ""
                }
                return false
            }
            close(put)
            guard count == streams else {
                throw Failure("profile change \(round) reached \(count) of \(streams) streams")
            }
            usleep(20_000)
        }
        let cpuBefore = serverPID.flatMap(Self.cpuNanoseconds(of:))
        // The change: its own connection, watched on the same loop (its answer may come after the frames).
        let started = now()
        let note = "bench \(Date().timeIntervalSince1970)"
        let put = try changeStatus(note: note)
        sockets.append(put)
        watched[streams].fd = put
        var arrivals: [Double] = []
        var putAnswer = ""
        var putAnswered: Double?
        let giveUp = Date().addingTimeInterval(10)
        try loop(&watched, until: { (arrivals.count == streams && !putAnswer.isEmpty) || Date() > giveUp }) {
            index, bytes in
            if index == streams {
                putAnswered = putAnswered ?? Double(now() - started) / 1e6
                putAnswer += bytes
                return false
            }
            seen[index] += bytes
            // This run's change (its note), not any status event that happens by.
            guard seen[index].contains("event: status"), seen[index].contains(note) else { return false }
            arrivals.append(Double(now() - started) / 1e6)
            return true
        }
        let status = Int(putAnswer.split(separator: " ").dropFirst().first ?? "") ?? 0
        usleep(300_000)
        let cpuAfter = serverPID.flatMap(Self.cpuNanoseconds(of:))
        // A thread that ended between the readings takes its time with it: no figure then, rather than a wrong one.
        let cpu = cpuBefore.flatMap { before in cpuAfter.flatMap { $0 >= before ? Double($0 - before) / 1e6 : nil } }
        return Result(
            arrivals: arrivals.sorted(), putStatus: status, putAnsweredMilliseconds: putAnswered,
            serverCPUMilliseconds: cpu)
    }

    /// Time on CPU of every thread of `pid` (schedstat's first field, in nanoseconds).
    static func cpuNanoseconds(of pid: Int32) -> UInt64? {
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else {
            return nil
        }
        return threads.reduce(0) { total, thread in
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/schedstat", encoding: .utf8)) ?? ""
            return total + (UInt64(stat.split(separator: " ").first ?? "") ?? 0)
        }
    }

    /// Reads what arrives on any watched socket and hands it to `received` with the socket's index, until `done`;
    /// a socket is no longer watched once `received` returns true or the server closes it.
    private func loop(_ watched: inout [pollfd], until done: () -> Bool, received: (Int, String) -> Bool) throws {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !done() {
            let ready = poll(&watched, nfds_t(watched.count), 100)
            if ready < 0 && errno != EINTR { throw Failure("poll: \(errno)") }
            guard ready > 0 else { continue }
            for index in watched.indices where watched[index].fd >= 0 && watched[index].revents != 0 {
                var count = recv(watched[index].fd, &buffer, buffer.count, 0)
                while count < 0 && errno == EINTR { count = recv(watched[index].fd, &buffer, buffer.count, 0) }
                if count <= 0 || received(index, String(decoding: buffer[0..<count], as: UTF8.self)) {
                    watched[index].fd = -1
                }
            }
        }
    }

    /// Sets the first token's person's status to In with `note`, on a connection of its own (returned, to read the
    /// answer from and close).
    private func changeStatus(note: String) throws -> Int32 {
        let put = try connectLoopback()
        let body = #"{"type":"In","note":"\#(note)"}"#
        try send(
            put,
            "PUT /api/v1/me/status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(tokens[0])\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
                + body)
        return put
    }

    private func connectLoopback() throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw Failure("connect to port \(port): \(errno)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    private func send(_ fd: Int32, _ text: String) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            guard sent > 0 else { throw Failure("send: \(errno)") }
            bytes = bytes.dropFirst(sent)
        }
    }

    private func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
