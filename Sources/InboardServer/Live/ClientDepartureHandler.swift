import NIOCore

/// Tells a long response that its client left: the connection closed, or the client closed its side of it.
/// A live stream otherwise learns of it only when a write fails (two heartbeats, up to 30 s later), holding one
/// of the person's stream slots meanwhile. The server allows half-closed connections, so a client closing its
/// side is an "input closed" event that ends the connection's inbound stream, which nobody reads while a
/// response runs: this handler sees the event on its way there. A client that half-closes and keeps reading
/// (browsers and EventSource never do) is taken as gone too; it reconnects with Last-Event-ID and misses nothing.
final class ClientDepartureHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = ByteBuffer

    private let departed: @Sendable () -> Void

    private init(departed: @escaping @Sendable () -> Void) { self.departed = departed }

    func handlerAdded(context: ChannelHandlerContext) {
        if !context.channel.isActive { departed() }  // gone before the watch began
    }

    func channelInactive(context: ChannelHandlerContext) {
        departed()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent { departed() }
        context.fireUserInboundEventTriggered(event)
    }

    /// Calls `departed` (once or more: it must be idempotent) when the client of `connection` leaves; the
    /// returned closure stops watching (call it when the response ends, so a kept-alive connection does not
    /// collect handlers).
    static func watch(_ connection: any Channel, departed: @escaping @Sendable () -> Void) -> @Sendable () -> Void {
        let handler = ClientDepartureHandler(departed: departed)
        let watching = connection.pipeline.addHandler(handler, position: .first)
        watching.whenFailure { _ in departed() }  // the pipeline is gone: so is the client
        // After the add, whatever thread this runs on (removing first would leave the handler on the connection).
        return { watching.whenSuccess { connection.pipeline.removeHandler(handler, promise: nil) } }
    }
}
