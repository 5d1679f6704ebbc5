import Logging
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Tells a long response that its client left: the connection closed, or the client closed its side of it.
/// A live stream otherwise learns of it only from its connection failing a write (two heartbeats, up to 30 s
/// later), holding one of the person's stream slots meanwhile. The server allows half-closed connections, so a
/// client closing its side is an "input closed" event that ends the connection's inbound stream, which nobody
/// reads while a response runs: this handler sees the event on its way there. A client that half-closes and
/// keeps reading (browsers and EventSource never do) is taken as gone too; it reconnects with Last-Event-ID
/// and misses nothing.
///
/// A client that stays connected but stops reading is taken as gone too once the connection has been unable to
/// take more for `stallLimit`: its stream's writer waits on it for ever otherwise, holding the connection, the
/// kernel's send buffer and a stream slot (a slow client on a poor network drains within seconds). A client that
/// vanished without a word (a laptop put to sleep, a network gone) acknowledges nothing, yet its connection stays
/// writable while the kernel retransmits for some 15 minutes: the connection's TCP_USER_TIMEOUT is `stallLimit`
/// too, so the kernel gives it up once what was sent (the next event or heartbeat) has gone unacknowledged that
/// long.
final class ClientDepartureHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = ByteBuffer

    private let departed: @Sendable () -> Void
    private let stallLimit: TimeAmount
    private let logger: Logger
    /// The close scheduled while the connection cannot be written to (touched on its event loop only).
    private let stallClose: NIOLoopBoundBox<Scheduled<Void>?>

    private init(
        departed: @escaping @Sendable () -> Void, stallLimit: TimeAmount, logger: Logger, eventLoop: any EventLoop
    ) {
        self.departed = departed
        self.stallLimit = stallLimit
        self.logger = logger
        stallClose = .makeEmptyBox(eventLoop: eventLoop)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if !context.channel.isActive { departed() }  // gone before the watch began
        watchWritability(context.channel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stallClose.value?.cancel()
        stallClose.value = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        departed()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        watchWritability(context.channel)
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent { departed() }
        context.fireUserInboundEventTriggered(event)
    }

    /// Schedules the close when the connection stops taking writes, and calls it off when it takes them again.
    private func watchWritability(_ channel: any Channel) {
        if channel.isWritable {
            stallClose.value?.cancel()
            stallClose.value = nil
        } else if stallClose.value == nil {
            let (limit, logger) = (stallLimit, logger)
            stallClose.value = channel.eventLoop.scheduleTask(in: limit) {
                logger.notice(
                    "closing a live stream whose client stopped reading",
                    metadata: ["stalledSeconds": "\(limit.nanoseconds / 1_000_000_000)"])
                channel.close(promise: nil)  // drops what is queued; `channelInactive` gives the slot back
            }
        }
    }

    /// How long a connection may be unable to take more before its client is taken as gone.
    static let defaultStallLimit = Duration.seconds(60)

    /// Calls `departed` (once or more: it must be idempotent) when the client of `connection` leaves, or closes
    /// the connection when it has not taken a write for `stallLimit`; the returned closure stops watching (call
    /// it when the response ends, so a kept-alive connection does not collect handlers).
    static func watch(
        _ connection: any Channel, stallLimit: Duration = defaultStallLimit, logger: Logger,
        departed: @escaping @Sendable () -> Void
    ) -> @Sendable () -> Void {
        let handler = ClientDepartureHandler(
            departed: departed, stallLimit: .nanoseconds(Int64(stallLimit / .nanoseconds(1))), logger: logger,
            eventLoop: connection.eventLoop)
        giveUpUnacknowledged(connection, after: stallLimit, logger: logger)
        let watching = connection.pipeline.addHandler(handler, position: .first)
        watching.whenFailure { _ in departed() }  // the pipeline is gone: so is the client
        // After the add, whatever thread this runs on (removing first would leave the handler on the connection).
        return { watching.whenSuccess { connection.pipeline.removeHandler(handler, promise: nil) } }
    }

    /// Sets TCP_USER_TIMEOUT: the kernel closes the connection when data it sent stays unacknowledged for `limit`.
    private static func giveUpUnacknowledged(_ connection: any Channel, after limit: Duration, logger: Logger) {
        #if os(Linux)
            let option = ChannelOptions.Types.SocketOption(
                level: .tcp, name: NIOBSDSocket.Option(rawValue: CInt(TCP_USER_TIMEOUT)))
            let milliseconds = Int(min(limit / .milliseconds(1), Double(CInt.max)))
            connection.setOption(option, value: milliseconds).whenFailure { error in
                logger.debug("a live stream's connection takes no TCP_USER_TIMEOUT", metadata: ["error": "\(error)"])
            }
        #endif
    }
}
