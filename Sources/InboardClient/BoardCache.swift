import Foundation

/// The last board and manifest this client read, for when the server cannot be reached (`cache/`, mode 600).
public struct ClientCache: Sendable {
    let config: ClientConfig
    public init(config: ClientConfig) { self.config = config }

    public func save(_ name: String, _ value: Any) {
        let wrapped: [String: Any] = ["savedAt": ReturnTime.iso(Date()), "value": value]
        guard let data = try? JSONSerialization.data(withJSONObject: wrapped) else { return }
        try? FileManager.default.createDirectory(
            atPath: config.folder + "/cache", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(config.folder + "/cache", 0o700)  // a folder made by hand, or by an older version, is closed too
        try? config.write("cache/\(name).json", data, mode: 0o600)
    }

    /// What was saved under `name`, and when.
    public func load(_ name: String) -> (value: Any, savedAt: Date)? {
        guard let data = FileManager.default.contents(atPath: config.folder + "/cache/\(name).json"),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let value = object["value"], let savedAt = (object["savedAt"] as? String).flatMap(EntryText.parse)
        else { return nil }
        return (value, savedAt)
    }

    /// The whole board as last read (`board` with no filter, or the agent): what `board` shows offline. Partial
    /// reads are never kept; `complete` is false when the server had more than the people kept.
    public func saveBoard(_ people: [[String: Any]]) {
        save("board", ["people": people, "complete": people.count < Self.boardSize])
    }

    public func loadBoard() -> (people: [[String: Any]], complete: Bool, savedAt: Date)? {
        // A list (an older client's cache, which may hold a filtered read) is not taken for the whole board.
        guard let cached = load("board"), let board = cached.value as? [String: Any],
            let people = board["people"] as? [[String: Any]]
        else { return nil }
        return (people, board["complete"] as? Bool ?? false, cached.savedAt)
    }

    /// People kept: one page of the server's.
    public static let boardSize = 1000
}
