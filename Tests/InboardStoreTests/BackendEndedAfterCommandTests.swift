import Foundation
import InboardStore
import PostgresNIO
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// PostgreSQL ended a backend (an administrator's `pg_terminate_backend`, a failover) after it had sent a statement's
/// CommandComplete and before its ReadyForQuery. PostgresNIO then fails the statements queued behind it with
/// `unexpectedBackendMessage` instead of a closed connection; a request met it as a 500 in the outage drill
/// (`backendsEndedUnderWriteLoad…`, one request in a few thousand). It is a lost connection with an unknown
/// outcome, like any other: 503. A scripted server on loopback makes the timing certain.
@Suite struct BackendEndedAfterCommandTests {
    @Test(.timeLimit(.minutes(1)))
    func aBackendEndedBeforeReadyForQueryIsAnOutageNotAnInternalError() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        // The client must have queued its commit confirmation before the FATAL arrives; on a loaded machine it may
        // take longer than the first wait, so the exchange is repeated with longer waits until it does.
        var codes: [String] = []
        for wait in [300, 1_000, 3_000, 8_000] {
            let error = try await errorOfAWriteWhoseBackendEnds(after: .milliseconds(Int64(wait)), logger: logger)
            #expect(DatabaseUnavailable.isUnavailable(error), "not a 503: \(DatabaseError.logDetail(error))")
            if (error as? PSQLError)?.code == .unexpectedBackendMessage { return }
            codes.append(DatabaseError.logDetail(error))
        }
        Issue.record("the client never queued a statement behind the ended one: \(codes)")
    }

    /// A write: the pool then confirms its commit with a second statement, queued while the first awaits its
    /// ReadyForQuery, which never comes.
    private func errorOfAWriteWhoseBackendEnds(after wait: TimeAmount, logger: Logger) async throws -> any Error {
        let server = try await ScriptedPostgres.start(endingTheBackendAfter: wait)
        defer { server.stop() }
        let url = try DatabaseURL("postgres://inboard@127.0.0.1:\(server.port)/inboard")
        let pool = try DatabasePool(url: url, size: 1, logger: logger)
        let running = Task { await pool.run() }
        defer {
            running.cancel()
            pool.shutDown()
        }
        do {
            try await pool.query("UPDATE people SET note = ''", logger: logger)
        } catch {
            #expect(server.statementsAnswered == 1, "the script did not run as meant")
            return error
        }
        throw ScriptedPostgres.Unexpected.writeSucceeded
    }
}

/// A PostgreSQL stand-in that accepts a connection without a password, answers its first extended-protocol
/// statement up to CommandComplete, waits as told, then ends the backend as `pg_terminate_backend` does (FATAL 57P01) and
/// closes.
final class ScriptedPostgres: Sendable {
    let port: Int
    private let channel: any Channel
    private let answered: NIOLockedValueBox<Int>

    private init(channel: any Channel, answered: NIOLockedValueBox<Int>) {
        self.channel = channel
        self.answered = answered
        self.port = channel.localAddress?.port ?? 0
    }

    var statementsAnswered: Int { answered.withLockedValue { $0 } }

    enum Unexpected: Error { case writeSucceeded }

    static func start(endingTheBackendAfter wait: TimeAmount) async throws -> ScriptedPostgres {
        let answered = NIOLockedValueBox(0)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(Backend(answered: answered, wait: wait))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ScriptedPostgres(channel: channel, answered: answered)
    }

    func stop() { channel.close(promise: nil) }

    private final class Backend: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private var received = ByteBuffer()
        private var started = false
        private var ended = false
        private let answered: NIOLockedValueBox<Int>
        private let wait: TimeAmount

        init(answered: NIOLockedValueBox<Int>, wait: TimeAmount) {
            self.answered = answered
            self.wait = wait
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            received.writeBuffer(&bytes)
            while !ended, let message = nextMessage() { handle(message, context: context) }
        }

        /// The next whole message: (type, body); the start-up message and SSL request have no type byte.
        private func nextMessage() -> (type: UInt8?, body: ByteBuffer)? {
            if !started {
                guard let length = received.getInteger(at: received.readerIndex, as: Int32.self),
                    received.readableBytes >= Int(length)
                else { return nil }
                var message = received.readSlice(length: Int(length))!
                message.moveReaderIndex(forwardBy: 4)
                return (nil, message)
            }
            guard received.readableBytes >= 5,
                let length = received.getInteger(at: received.readerIndex + 1, as: Int32.self),
                received.readableBytes >= 1 + Int(length)
            else { return nil }
            let type = received.readInteger(as: UInt8.self)!
            var body = received.readSlice(length: Int(length))!
            body.moveReaderIndex(forwardBy: 4)
            return (type, body)
        }

        private func handle(_ message: (type: UInt8?, body: ByteBuffer), context: ChannelHandlerContext) {
            switch message.type {
            case nil where message.body.getInteger(at: message.body.readerIndex, as: Int32.self) == 80_877_103:
                write(context, bytes: [UInt8(ascii: "N")])  // no TLS
            case nil:
                started = true
                write(context, type: "R", body: int32(0))  // AuthenticationOk
                write(context, type: "K", body: int32(4242) + int32(1))
                write(context, type: "Z", body: [UInt8(ascii: "I")])
            case UInt8(ascii: "S"):  // Sync: answer the statement sent before it
                answered.withLockedValue { $0 += 1 }
                write(context, type: "1", body: [])  // ParseComplete
                write(context, type: "t", body: [0, 0])  // no parameters
                write(context, type: "n", body: [])  // NoData
                write(context, type: "2", body: [])  // BindComplete
                write(context, type: "C", body: Array("UPDATE 1".utf8) + [0])
                ended = true
                // Time for the client to queue its next statement behind this one.
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: wait) {
                    let (backend, context) = bound.value
                    var fields: [UInt8] = []
                    for (code, value) in [
                        ("S", "FATAL"), ("V", "FATAL"), ("C", "57P01"),
                        ("M", "terminating connection due to administrator command"),
                    ] {
                        fields += [UInt8(ascii: Unicode.Scalar(code)!)] + Array(value.utf8) + [0]
                    }
                    backend.write(context, type: "E", body: fields + [0])
                    context.close(promise: nil)
                }
            default:
                break  // Parse, Describe, Bind, Execute: answered at Sync
            }
        }

        private func int32(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

        private func write(_ context: ChannelHandlerContext, type: Character, body: [UInt8]) {
            write(context, bytes: [type.asciiValue!] + int32(Int32(4 + body.count)) + body)
        }

        private func write(_ context: ChannelHandlerContext, bytes: [UInt8]) {
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
        }
    }
}
