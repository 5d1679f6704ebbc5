import Foundation
import Hummingbird
import InboardStore
import ServiceLifecycle

/// `GET /events`: server-sent events for the logged-in person. `Last-Event-ID` replays what was missed (up
/// to 1,000 events; past that, an `event: reset`) before live ones; a comment every 15 s keeps proxies from closing
/// the stream.
struct EventsController: Sendable {
    let hub: EventHub
    let log: EventLog
    /// How long a stream's connection may take no writes before it is closed (`ClientDepartureHandler`).
    let stallLimit: Duration

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.requiring(.user).get("events") { request, context in
            let viewer = try context.requireIdentity()
            let lastSeen = try Self.lastSeen(request)
            // Chunked: a GET, answered below without a length or a transfer coding of its own.
            let connection = StreamConnection(context.connection, responseIsChunked: request.method == .get)
            guard
                let subscription = try await hub.subscribe(
                    viewer, sessionID: context.sessionID, connection: connection)
            else {
                throw APIError(
                    .tooManyRequests, code: "too_many_streams",
                    message: "You have \(EventHub.maxStreamsPerPerson) live streams open already; close one first.",
                    headers: [.retryAfter: "30"])
            }
            // Watched from here, not from the first write: a client leaving during the replay read is noticed too.
            let hub = self.hub
            let stopWatching = ClientDepartureHandler.watch(
                context.connection, stallLimit: stallLimit, logger: context.logger
            ) {
                Task { await hub.unsubscribe(subscription.id) }
            }
            var replay: [LiveEvent] = []
            var tooFarBehind = false
            do {
                if var position = lastSeen {
                    let now = hub.clock(), live = subscription.startsAt
                    let missed = try await log.events(
                        after: position.after, orAmong: Array(position.pending), limit: Self.maxReplay + 1)
                    // Events just after the position deleted by housekeeping (kept seven days): what is left would
                    // replay without them. When the event right after the position is there, nothing after it was.
                    var pruned = false
                    if position.after < live.after, !missed.contains(where: { $0.id == position.after + 1 }) {
                        pruned = try await log.oldestID().map { $0 > position.after + 1 } ?? true
                    }
                    tooFarBehind = missed.count > Self.maxReplay || pruned
                    replay =
                        tooFarBehind
                        ? []
                        : missed.map {
                            _ = position.read($0.id)
                            position.settle(against: live)  // the hub's position when this stream joined
                            return LiveEvent($0, now: now, streamID: position.frameID(for: $0.id))
                        }
                }
            } catch {
                stopWatching()
                await hub.unsubscribe(subscription.id)  // no stream will start: give the slot back
                throw error
            }
            let events = replay, stream = subscription.stream
            // Without Last-Event-ID the client learns where its stream starts (an id with no data sets an
            // EventSource's last id and dispatches nothing), so a reconnect before its first event misses nothing.
            // A client that missed more than a replay holds is told to read the board (and its notes) again, with
            // the id live delivery starts after: nothing it missed is skipped without its knowing.
            let preamble =
                "retry: 3000\n" + (lastSeen == nil ? "id: \(subscription.startsAt.text)\n" : "") + ": connected\n\n"
                + (tooFarBehind ? Self.resetFrame(startingAfter: subscription.startsAt) : "")
            let body = ResponseBody { writer in
                defer {
                    stopWatching()
                    Task { await hub.unsubscribe(subscription.id) }
                }
                do {
                    try await writer.write(ByteBuffer(string: preamble))
                    for event in events where event.isVisible(to: viewer) {
                        try await writer.write(event.frameBuffer(for: viewer))
                    }
                } catch {
                    await connection.stopDirectWrites()
                    throw error
                }
                // From here the hub writes live frames straight to the connection, after these, skipping only the
                // events the replay sent (live ones arrive in commit order, which is not always id order); this
                // task waits for the stream to end. A server shutting down ends it (the client reconnects
                // elsewhere with Last-Event-ID).
                await hub.startDirectDelivery(subscription.id, skipping: Set(events.map(\.id)))
                await withGracefulShutdownHandler {
                    for await _ in stream {}
                } onGracefulShutdown: {
                    Task { await hub.unsubscribe(subscription.id) }
                }
                await connection.stopDirectWrites()  // before the response's end: nothing may follow it
                try await writer.finish(nil)
            }
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/event-stream", .cacheControl: "no-cache",
                    .init("X-Accel-Buffering")!: "no",
                ], body: body)
        }
    }

    /// Missed events a resuming stream is sent at most (counting every event in the log, not only those its
    /// viewer may see); past that, or past what the log still holds, it gets `resetFrame` instead.
    static let maxReplay = 1000

    /// `event: reset`: more was missed than a replay holds; the client reads the board and its notes again. Its id is
    /// where live delivery starts, so a reconnect after it resumes from there.
    static func resetFrame(startingAfter live: EventPosition) -> String {
        "id: \(live.text)\nevent: reset\ndata: {\"reason\":\"too_far_behind\",\"replayLimit\":\(maxReplay)}\n\n"
    }

    /// Where the client's stream had got (`Last-Event-ID`, or `lastEventId` where a header cannot be set: the id of
    /// the last frame it saw); one this server could not have sent is a 400, so a client never silently misses
    /// what it asked to resume from.
    static func lastSeen(_ request: Request) throws -> EventPosition? {
        guard let text = request.headers[.init("Last-Event-ID")!] ?? request.uri.queryParameters.get("lastEventId")
        else { return nil }
        guard let position = EventPosition(text: text) else {
            throw APIError(
                .badRequest, code: "invalid_field",
                message: "Last-Event-ID must be the id of a frame this server sent.")
        }
        return position
    }
}
