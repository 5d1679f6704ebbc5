import Foundation
import HummingbirdTesting
@testable import InboardServer
import InboardStore
import InboardTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A client that opens live streams and then stops reading (a stalled browser, or an attacker holding
/// connections) must not hold them for ever: each stream's writer would wait on its connection, keeping the
/// connection, the kernel's send buffer and one of the person's ten stream slots.
@Suite struct StalledStreamTests {
    @Test func streamsWhoseClientsStopReadingAreClosedAndTheirSlotsGivenBack() async throws {
        try await withEverySlotTaken { ann in
            let refused = try EventStreamReader(port: ann.port, token: ann.token)
            #expect(try await refused.endedByServer(within: .seconds(30)), "an eleventh stream was let in")
            _ = await refused.stop()

            // 5 MB of notes for ann: more than the kernel's and the server's buffers hold for a client that reads
            // nothing (3 MB was enough here, 0.6 MB was not), so every stream's writer blocks. (The suite runs in
            // scripts/test's one-at-a-time pass: ten blocked streams and 50 MB queued for them slowed the parallel
            // pass until other suites' PostgreSQL connections timed out.)
            try await ann.receivesNotes(5000, of: 1000)
            #expect(try await ann.opensAStream(within: .seconds(90)), "the stalled streams still hold every slot")
            // (Whether each connection ended shows only after draining what the server had sent through a 4 KB
            // window: tens of seconds. The slots coming back is the server letting go of them.)
        }
    }

    /// Clients that vanish without a word (their connections' packets held back from here on) acknowledge nothing;
    /// their connections stay writable while the kernel retransmits for some 15 minutes, holding every slot. The
    /// next frame sent to them goes unacknowledged, and the kernel gives each connection up after the stall limit
    /// (TCP_USER_TIMEOUT). Before it, the slots stayed taken past this test's 30 s.
    @Test func streamsWhoseClientsVanishedAreClosedAndTheirSlotsGivenBack() async throws {
        try await withEverySlotTaken { ann in
            try await LoopbackHold.holding(ports: ann.streams.map(\.localPort)) {
                try await ann.receivesNotes(1, of: 20)
                #expect(
                    try await ann.opensAStream(within: .seconds(30)),
                    "the vanished clients' streams still hold every slot")
            }
        }
    }

    /// Ann, whose every stream slot is taken by a stream that reads its preamble and then nothing more.
    struct AnnsStreams {
        let streams: [StalledStreamClient]
        let db: TemporaryDatabase
        let id: Int64
        let port: Int
        let token: String

        func receivesNotes(_ count: Int, of length: Int) async throws {
            try await db.execute(
                """
                INSERT INTO events (kind, recipient_id, payload)
                SELECT 'note', \(id), json_build_object('from', 'x', 'body', repeat('n', \(length)))
                FROM generate_series(1, \(count))
                """)
            try await db.execute("SELECT pg_notify('\(EventLog.channel)', '')")
        }

        func opensAStream(within limit: Duration) async throws -> Bool {
            try await eventually(within: limit) {
                let probe = try EventStreamReader(port: port, token: token)
                let opened = try await probe.wait(upTo: .seconds(5)) { $0.contains(": connected") }
                _ = await probe.stop()
                return opened
            }
        }
    }

    private func withEverySlotTaken(_ body: @escaping @Sendable (AnnsStreams) async throws -> Void) async throws {
        try await TemporaryDatabase.with { db in
            let people = try await SeededPeople.seed(db)
            try await makeTestApp(databaseURL: db.url, streamStallLimit: .seconds(1)).test(.live) { client in
                let port = try #require(client.port)
                let token = try await APIClient(client: client).login("ann")
                var streams: [StalledStreamClient] = []
                for _ in 0..<EventHub.maxStreamsPerPerson {
                    let stream = try StalledStreamClient(port: port, token: token)
                    #expect(try await stream.readPreamble(), "a stream did not open")
                    streams.append(stream)
                }
                try await body(
                    AnnsStreams(streams: streams, db: db, id: try #require(people.ids["ann"]), port: port, token: token)
                )
                withExtendedLifetime(streams) {}
            }
        }
    }
}

/// A raw HTTP connection to `GET /api/v1/events` with a small receive buffer, read only when told to.
final class StalledStreamClient: @unchecked Sendable {
    private let socket: Int32

    init(port: Int, token: String) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw POSIXError(.EMFILE) }
        var size: Int32 = 4096  // before connect, so the window offered stays small
        setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        let connected = connectToLoopback(socket, port: port)
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let request = "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n\r\n"
        let sent = request.utf8CString.withUnsafeBufferPointer { send(socket, $0.baseAddress, $0.count - 1, 0) }
        guard sent == request.utf8.count else { throw POSIXError(.EPIPE) }
    }

    deinit { close(socket) }

    /// The connection's own port on the loopback.
    var localPort: Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Reads until the stream says it is connected (a few hundred bytes); true when it did within 30 s. Never
    /// blocks a thread: the test's cooperative threads run every other suite of the process too.
    func readPreamble() async throws -> Bool {
        var received = ""
        let deadline = ContinuousClock.now + .seconds(30)
        while !received.contains(": connected"), ContinuousClock.now < deadline {
            if let chunk = receiveWaiting() {
                received += String(decoding: chunk, as: UTF8.self)
            } else {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        return received.contains(": connected")
    }

    /// Bytes waiting now, or nil when none are (or the connection ended).
    private func receiveWaiting() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(socket, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        return count > 0 ? Array(buffer.prefix(count)) : nil
    }
}
