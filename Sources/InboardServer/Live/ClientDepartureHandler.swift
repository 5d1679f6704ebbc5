import NIOCore

/// Tells a long response that its client left: the connection closed, or the client closed its side of it.
/// A live stream otherwise learns of it only when a write fails (two heartbeats, up to 30 s later), holding
/// one of the person's stream slots meanwhile. The server allows half-closed connections, and NIO's HTTP
/// pipelining handler holds back "input closed" while a response is running, so this handler goes first in
/// the pipeline, where the event arrives before anything else sees it.
final class ClientDepartureHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = ByteBuffer

    private let departed: @Sendable () -> Void

    private init(departed: @escaping @Sendable () -> Void) { self.departed = departed }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent { departed() }
        context.fireUserInboundEventTriggered(event)
    }

    /// Calls `departed` (once or more: it must be idempotent) when the client of `connection` leaves; the
    /// returned closure stops watching (call it when the response ends, so a kept-alive connection does not
    /// collect handlers).
    static func watch(_ connection: any Channel, departed: @escaping @Sendable () -> Void) -> @Sendable () -> Void {
        let handler = ClientDepartureHandler(departed: departed)
        connection.closeFuture.whenComplete { _ in departed() }
        connection.eventLoop.execute {
            try? connection.pipeline.syncOperations.addHandler(handler, position: .first)
        }
        return { connection.pipeline.removeHandler(handler, promise: nil) }
    }
}
