import Foundation
import HTTPTypes
import Hummingbird
import InboardStore

/// A board read as its query asks for it (`q`, `department`, `board`, `after`, `limit`), for the API, the CSV
/// export and the board page alike, and the links to its next page.
struct BoardRequest: Sendable {
    /// A page of the API when `limit` is not given (as before paging, so a client that never read `next` sees
    /// the same first 1,000); `limit` may ask for fewer.
    static let defaultLimit = 1000
    static let maxLimit = 1000

    let filter: BoardFilter
    let cursor: BoardCursor?
    let limit: Int
    /// The query named a `limit` (links to the next page repeat it).
    let limitAsked: Bool

    /// A `limit` above `maxLimit` is lowered to it (the next-page link loses nothing); one that is not a whole
    /// number from 1 up, or a cursor this server did not write, is a 400.
    init(_ query: Parameters, defaultLimit: Int = Self.defaultLimit) throws {
        filter = BoardFilter(
            search: try query.text("q"), department: try query.text("department"), board: try query.text("board"))
        limit = try query.count("limit", default: defaultLimit, in: 1...Self.maxLimit)
        limitAsked = query.get("limit") != nil
        if let token = query.get("after").nonBlank {
            guard let cursor = BoardCursor(token: token) else {
                throw APIError(
                    .badRequest, code: "invalid_cursor",
                    message: "after must be a cursor from a page's next link; start again without it.")
            }
            self.cursor = cursor
        } else {
            cursor = nil
        }
    }

    /// The same filters and page size from `next` on, under `path`.
    func link(_ path: String, after next: BoardCursor) -> String {
        let pairs = filterPairs + (limitAsked ? [("limit", String(limit))] : []) + [("after", next.token)]
        return Self.url(path, pairs)
    }

    /// The filters alone (no page), under `path`: the CSV export of what the board shows.
    func filterLink(_ path: String) -> String { Self.url(path, filterPairs) }

    /// The filters the request names, as query pairs.
    private var filterPairs: [(String, String)] {
        [("q", filter.search), ("department", filter.department), ("board", filter.board)]
            .compactMap { name, value in value.map { (name, $0) } }
    }

    private static func url(_ path: String, _ pairs: [(String, String)]) -> String {
        pairs.isEmpty ? path : path + "?" + pairs.map { $0 + "=" + escape($1) }.joined(separator: "&")
    }

    static func escape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}

extension Optional where Wrapped == String {
    /// nil for a missing or blank query value.
    var nonBlank: String? {
        guard let value = self?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }
}

extension HTTPField.Name {
    /// RFC 8288 web linking: the board's `rel="next"` page.
    static let link = Self("Link")!
}
