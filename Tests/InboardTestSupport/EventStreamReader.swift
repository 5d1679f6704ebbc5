import Foundation

/// An SSE stream read by curl into a file while the test goes on: the test waits for what it expects to arrive
/// (however slow the machine) instead of giving the stream a fixed number of seconds.
public final class EventStreamReader: Sendable {
    public let file: String
    private let curl: ChildProcess

    /// `inQuery`: the last event id as `?lastEventId=` (as the board page sends it), not as the header.
    public init(port: Int, token: String, lastEventID: String? = nil, inQuery: Bool = false) throws {
        file = FileManager.default.temporaryDirectory.appendingPathComponent("events-\(UUID()).txt").path
        var arguments = ["-sN", "--max-time", "600", "-o", file, "-H", "Authorization: Bearer \(token)"]
        var url = "http://127.0.0.1:\(port)/api/v1/events"
        if let lastEventID, inQuery {
            url += "?lastEventId=" + (lastEventID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        } else if let lastEventID {
            arguments += ["-H", "Last-Event-ID: \(lastEventID)"]
        }
        curl = try ChildProcess("/usr/bin/curl", arguments + [url], capture: false)
    }

    public var text: String { (try? String(contentsOfFile: file, encoding: .utf8)) ?? "" }

    /// The `event:` kinds received so far, in order.
    public var kinds: [String] {
        text.split(separator: "\n").filter { $0.hasPrefix("event: ") }.map { String($0.dropFirst(7)) }
    }

    /// Waits until what arrived satisfies `condition`, for at most `limit`; returns whether it did.
    @discardableResult
    public func wait(upTo limit: Duration = .seconds(60), until condition: (String) -> Bool) async throws -> Bool {
        try await eventually(within: limit) { condition(text) }
    }

    /// Waits until the server has subscribed the stream (its first line), so that what follows reaches it.
    public func connected() async throws -> Bool { try await wait { $0.contains(": connected") } }

    /// Waits for the stream to end on its own, for at most `limit`: whether the server ended it (curl's exit 0),
    /// false when it is still open then or ended otherwise.
    public func endedByServer(within limit: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let status = curl.exitCodeIfExited() { return status == 0 }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Whether curl is still reading the stream.
    public var isOpen: Bool { curl.exitCodeIfExited() == nil }

    /// Ends the stream and returns everything it received.
    public func stop() async -> String {
        curl.signal(SIGTERM)
        _ = await curl.exit()
        let received = text
        try? FileManager.default.removeItem(atPath: file)
        return received
    }
}
