import Foundation
import InboardCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// HTTP/1.1 over SwiftNIO, one connection per request: all a command-line client needs (a few requests, one
/// long event stream), with no HTTP library behind it. Every request says which client version sends it.
public struct ClientHTTP: Sendable {
    public let server: ServerAddress
    /// Extra trusted certificate authorities (PEM), for a server whose certificate the system does not trust.
    public var caFile: String?
    public var timeout: Duration = .seconds(15)
    /// The largest answer `send` reads (a package download sets the manifest's size): a broken or hostile
    /// server cannot fill the memory.
    public var maxAnswerBytes = 16 << 20
    /// A stream with nothing at all (not even the server's 15-second heartbeat) for this long is dead: it fails
    /// as an outage, and the follower reconnects with Last-Event-ID.
    public var streamSilence: Duration = .seconds(45)
    /// The longest line a stream may send.
    public var maxLineBytes = 1 << 20

    public init(server: ServerAddress, caFile: String? = nil) {
        self.server = server
        self.caFile = caFile
    }

    /// This client's version as sent to the server; INBOARD_CLIENT_VERSION overrides it, to rehearse an upgrade
    /// (a client newer than its server is refused with 426).
    public static let reportedVersion: InboardVersion =
        ProcessInfo.processInfo.environment["INBOARD_CLIENT_VERSION"].flatMap(InboardVersion.init) ?? .current

    public struct Answer: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        init(_ head: HTTPResponseHead) {
            status = Int(head.status.code)
            headers = head.headers.map { ($0.name, $0.value) }
            body = []
        }

        public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// One request and its whole answer, within `timeout`; the answer may come gzipped (it is inflated here).
    public func send(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil)
        async throws -> Answer
    {
        let asked = headers.contains { $0.0.lowercased() == "accept-encoding" } ? [] : [("Accept-Encoding", "gzip")]
        return try await withDeadline(timeout) {
            var answer = Answer(status: 0, headers: [], body: [])
            let limit = maxAnswerBytes
            try await exchange(
                method, path, headers: headers + asked, body: body, readTimeout: nil,
                onHead: { head in answer = Answer(head) },
                onBody: { part in
                    guard answer.body.count + part.count <= limit else {
                        throw ClientError.answerTooLarge(limit: limit)
                    }
                    answer.body += part
                })
            return try answer.inflated(limit: limit)
        }
    }

    /// A long answer read as it arrives (server-sent events): `onHead` sees the status (and, when it is not 200,
    /// the whole answer) first; `onLine` each line after that.
    public func stream(
        _ path: String, headers: [(String, String)] = [], onHead: (Answer) throws -> Void,
        onLine: (String) async throws -> Void
    ) async throws {
        var head: Answer?
        var pending: [UInt8] = []
        let (maxLine, maxAnswer) = (maxLineBytes, maxAnswerBytes)
        try await exchange(
            .GET, path, headers: headers + [("Accept", "text/event-stream")], body: nil,
            readTimeout: .nanoseconds(
                streamSilence.components.seconds * 1_000_000_000 + streamSilence.components.attoseconds / 1_000_000_000),
            onHead: { answer in
                head = Answer(answer)
                if answer.status.code == 200 { try onHead(Answer(answer)) }
            },
            onBody: { part in
                guard head?.status == 200 else {
                    guard (head?.body.count ?? 0) + part.count <= maxAnswer else {
                        throw ClientError.answerTooLarge(limit: maxAnswer)
                    }
                    head?.body += part
                    return
                }
                pending += part
                guard pending.count <= maxLine || pending.contains(UInt8(ascii: "\n")) else {
                    throw ClientError.answerTooLarge(limit: maxLine)
                }
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    var line = pending[..<newline]
                    if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                    try await onLine(String(decoding: line, as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
            })
        if let head, head.status != 200 { try onHead(head) }
    }

    private func exchange(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)], body: [UInt8]?, readTimeout: TimeAmount?,
        onHead: (HTTPResponseHead) throws -> Void, onBody: ([UInt8]) async throws -> Void
    ) async throws {
        let tls = try server.isTLS ? makeTLSContext() : nil
        let host = server.host
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(5))
                .connect(host: host, port: server.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            let serverName = host.first?.isNumber == true || host.contains(":") ? nil : host
                            try channel.pipeline.syncOperations.addHandler(
                                try NIOSSLClientHandler(context: tls, serverHostname: serverName))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        if let readTimeout {
                            try channel.pipeline.syncOperations.addHandlers([
                                IdleStateHandler(readTimeout: readTimeout), SilenceIsAnError(limit: readTimeout),
                            ])
                        }
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                            wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw ClientError.unreachable(server: server.description, reason: "\(error)")
        }
        let requestHead = makeHead(method, path, headers: headers, bodyLength: body?.count)
        try await channel.executeThenClose { inbound, outbound in
            // The whole request in one write: a server that answers as soon as it has read a GET's head, and
            // closes ("Connection: close"), must not turn a later separate write into "I/O on closed channel".
            var request: [HTTPClientRequestPart] = [.head(requestHead)]
            if let body { request.append(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
            request.append(.end(nil))
            try await outbound.write(contentsOf: request)
            var sawHead = false
            for try await part in inbound {
                switch part {
                case let .head(head):
                    sawHead = true
                    try onHead(head)
                case var .body(buffer): try await onBody(buffer.readBytes(length: buffer.readableBytes) ?? [])
                case .end: return
                }
            }
            if !sawHead {
                throw ClientError.unreachable(
                    server: server.description, reason: "the connection closed without an answer")
            }
        }
    }

    private func makeHead(_ method: HTTPMethod, _ path: String, headers: [(String, String)], bodyLength: Int?)
        -> HTTPRequestHead
    {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: server.basePath + path)
        head.headers.add(name: "Host", value: server.hostHeader)
        head.headers.add(name: "User-Agent", value: "inboard-client/\(Self.reportedVersion)")
        head.headers.add(name: "X-Inboard-Client-Version", value: "\(Self.reportedVersion)")
        head.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let bodyLength { head.headers.add(name: "Content-Length", value: "\(bodyLength)") }
        return head
    }

    private func makeTLSContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            configuration.additionalTrustRoots = [.file(caFile)]
        }
        return try NIOSSLContext(configuration: configuration)
    }
}

/// `body` within `limit`, or `ClientError.timedOut`.
func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw ClientError.timedOut(limit)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Turns the idle handler's "nothing read" into an error on the stream, so that a silent connection (a dead
/// balancer, a half-open TCP connection) ends instead of waiting for ever.
final class SilenceIsAnError: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = HTTPClientResponsePart
    let limit: TimeAmount

    init(limit: TimeAmount) { self.limit = limit }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? IdleStateHandler.IdleStateEvent, event == .read {
            context.fireErrorCaught(ClientError.timedOut(.nanoseconds(limit.nanoseconds)))
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
