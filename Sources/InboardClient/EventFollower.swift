import Foundation

/// Follows the live-event stream for as long as it is wanted: a stream that ends or a server that cannot be
/// reached is retried (1 s, then doubling up to 30 s) with the last id seen as Last-Event-ID, so nothing is
/// missed; after more than the server replays (1,000 events, or older than the seven days it keeps), the server
/// sends a `reset` event instead, which the handler sees. A session that ended or a server too old for this client
/// stops it.
public struct EventFollower: Sendable {
    let http: ClientHTTP
    let token: String

    public init(http: ClientHTTP, token: String) {
        self.http = http
        self.token = token
    }

    public func follow(_ handle: (LiveEvent) async throws -> Void) async throws {
        var lastID: String?
        var delay: Duration = .seconds(1)
        while !Task.isCancelled {
            var parser = LiveEventParser()
            var headers = [("Authorization", "Bearer \(token)")]
            if let lastID { headers.append(("Last-Event-ID", lastID)) }
            do {
                try await http.stream(
                    "/api/v1/events", headers: headers,
                    onHead: { answer in
                        if answer.status == 401 { throw ClientError.sessionEnded }
                        try InboardAPI.check(answer)
                    },
                    onLine: { line in
                        let event = parser.feed(line)
                        // The stream's starting point counts too: a drop before the first event resumes from it.
                        if let id = parser.lastEventID { lastID = id }
                        guard let event else { return }
                        delay = .seconds(1)
                        try await handle(event)
                    })
            } catch let error as ClientError {
                switch error {
                case .unreachable, .timedOut: break
                case let .refused(status, _, _) where status >= 500: break
                default: throw error
                }
            } catch {
                // A connection reset mid-stream: resume.
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(30))
        }
    }
}
