import Logging
import NIOPosix
import PostgresNIO

/// LISTEN on one channel, on a connection of its own, reconnecting a second after it drops, until the task is
/// cancelled. Whoever relies on the notifications learns when they may have missed some (`lost`), and when
/// they are listening again (`listening`: anything committed before it is then to be read afresh).
struct ChannelListener: Sendable {
    let channel: String
    let databaseURL: DatabaseURL
    let logger: Logger
    /// What the notifications are for, in the log line of a dropped connection.
    let purpose: String
    /// The connection's id in PostgresNIO's logs.
    let connectionID: Int

    /// `notified` gets each notification's payload.
    func run(
        listening: @escaping @Sendable () async -> Void, notified: @escaping @Sendable (String) async -> Void,
        lost: @escaping @Sendable () async -> Void = {}
    ) async {
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.any(),
                    configuration: try databaseURL.connectionConfiguration(), id: connectionID, logger: logger)
                // Closed on every path: a connection dropped by the server is still open on our side, and
                // PostgresNIO traps (in debug builds) on one released unclosed.
                let heard = await Result(catching: {
                    // Closing the connection is what ends the notification sequence when the server stops.
                    try await withTaskCancellationHandler {
                        let notifications = try await connection.listen(channel)
                        await listening()
                        for try await notification in notifications { await notified(notification.payload) }
                    } onCancel: {
                        Task { try? await connection.close() }
                    }
                })
                try? await connection.close()
                try heard.get()
            } catch {
                if Task.isCancelled { break }
                logger.notice(
                    "the LISTEN connection for \(purpose) dropped; reconnecting",
                    metadata: ["error": "\(String(reflecting: type(of: error)))"])
            }
            await lost()
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
