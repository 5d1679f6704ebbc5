import Foundation
import InboardStore

extension EventHub {
    enum Message: Sendable {
        /// An event, and the viewer as they are now (their role decides which frame they get).
        case event(LiveEvent, viewer: Person)
        case heartbeat
    }

    /// An open stream as the hub keeps it: a class, so that a fan-out over thousands of them copies a reference
    /// each, not every field.
    final class Subscriber {
        var viewer: Person
        /// The session the stream was opened with: checked every `pollInterval`, so that logout, revocation,
        /// disabling and role changes reach open streams within seconds.
        let sessionID: Int64?
        let continuation: AsyncStream<Message>.Continuation
        /// A live HTTP stream's connection, which frames are written to directly (every stream the server opens);
        /// without one (the hub's own tests) they go to `continuation`, for the stream's reader.
        let connection: StreamConnection?
        /// Messages for `connection` held until its response has written its preamble and replay
        /// (`startDirectDelivery`); nil from then on.
        var held: [Message]?
        /// Events the replay sent: skipped when they arrive live (commit order is not always id order).
        var replayed: Set<Int64> = []

        init(
            viewer: Person, sessionID: Int64?, continuation: AsyncStream<Message>.Continuation,
            connection: StreamConnection?
        ) {
            self.viewer = viewer
            self.sessionID = sessionID
            self.continuation = continuation
            self.connection = connection
            held = connection == nil ? nil : []
        }
    }
}
