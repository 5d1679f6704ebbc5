import Foundation

extension InboardAPI {
    /// What `board` narrows the board to; all nil is everybody.
    public struct BoardQuery: Sendable {
        public var department: String?
        public var board: String?
        public var search: String?

        /// Values are trimmed, and a blank one is no filter, as the server takes them.
        public init(department: String? = nil, board: String? = nil, search: String? = nil) {
            let given = { (value: String?) in
                value.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
            }
            self.department = given(department)
            self.board = given(board)
            self.search = given(search)
        }

        /// The whole board, not a part of it.
        public var isEverybody: Bool { department == nil && board == nil && search == nil }

        /// `people` narrowed here as the server would by department (the same, in any case) and search (in the name
        /// or username); nil when the query names a board, which only the server knows the members of.
        public func narrow(_ people: [[String: Any]]) -> [[String: Any]]? {
            guard board == nil else { return nil }
            let department = department?.lowercased(), search = search?.lowercased()
            return people.filter { entry in
                if let department, (entry["department"] as? String)?.lowercased() != department { return false }
                guard let search else { return true }
                return [entry["displayName"], entry["username"]].contains {
                    ($0 as? String)?.lowercased().contains(search) == true
                }
            }
        }
    }

    /// The board (people with their statuses), paged with the server's cursor until `limit` people or the end.
    public func board(_ query: BoardQuery = BoardQuery(), limit: Int = 1000) async throws -> [[String: Any]] {
        let encode = Self.queryValue
        var filters: [String] = []
        if let department = query.department { filters.append("department=\(encode(department))") }
        if let board = query.board { filters.append("board=\(encode(board))") }
        if let search = query.search { filters.append("q=\(encode(search))") }
        var people: [[String: Any]] = []
        var next: String?
        repeat {
            let page = min(1000, limit - people.count)
            let cursor = next.map { ["after=\(encode($0))"] } ?? []
            let path = "/api/v1/people?" + (filters + ["limit=\(page)"] + cursor).joined(separator: "&")
            let answer = try await call(.GET, path) as? [String: Any] ?? [:]
            people += answer["people"] as? [[String: Any]] ?? []
            next = answer["next"] as? String
        } while next != nil && people.count < limit
        return people
    }

    /// `value` as one query parameter's value (`&`, `+`, `=` and `#` escaped too).
    static func queryValue(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["&", "+", "=", "#"])) ?? value
    }
}
