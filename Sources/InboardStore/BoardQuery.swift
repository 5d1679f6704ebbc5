import Foundation

/// Which people a board read lists: a name search, a department, a board (a mapped group), disabled people too.
public struct BoardFilter: Sendable, Equatable {
    public var search: String?
    public var department: String?
    public var board: String?
    public var includeInactive: Bool

    public init(search: String? = nil, department: String? = nil, board: String? = nil, includeInactive: Bool = false) {
        self.search = search
        self.department = department
        self.board = board
        self.includeInactive = includeInactive
    }

    /// No filter at all: the whole board, which servers cache.
    public var isEverybody: Bool { search == nil && department == nil && board == nil && !includeInactive }
}

/// Where a page of the board ends, in its order (name, then id): the next page starts after it. Opaque to
/// clients (base64url of JSON), so the order may change without breaking their links.
public struct BoardCursor: Sendable, Equatable, Codable {
    /// The person's name as the database sorts it (`lower(display_name)`).
    public let sortName: String
    public let id: Int64

    public init(sortName: String, id: Int64) {
        self.sortName = sortName
        self.id = id
    }

    enum CodingKeys: String, CodingKey {
        case sortName = "n"
        case id = "i"
    }

    /// The same cursor always gives the same token (keys sorted: JSONEncoder's order varies from one process to
    /// the next), so the cached first page, and its ETag, is the same bytes on every server behind a balancer.
    public var token: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(self))?.base64URLEncoded ?? ""
    }

    /// A cursor from its token; nil when the token is not one this server wrote (then the caller says 400).
    public init?(token: String) {
        guard token.utf8.count <= 2048, let data = Data(base64URLEncoded: token),
            let cursor = try? JSONDecoder().decode(Self.self, from: data),
            // PostgreSQL text holds no NUL; a name with control characters is not one this server wrote.
            !cursor.sortName.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return nil }
        self = cursor
    }
}

/// One page of the board: its people, each with the cursor a page ending at them would continue from, and
/// whether more follow. Cursors come from the database (its `lower()` and collation decide the order).
public struct BoardSlice: Sendable, Equatable {
    public var entries: [BoardEntry]
    public var cursors: [BoardCursor]
    public var hasMore: Bool

    public init(entries: [BoardEntry], cursors: [BoardCursor], hasMore: Bool) {
        precondition(entries.count == cursors.count, "one cursor per entry")
        self.entries = entries
        self.cursors = cursors
        self.hasMore = hasMore
    }

    /// Where the next page starts; nil on the last page.
    public var next: BoardCursor? { hasMore ? cursors.last : nil }

    /// The first `limit` of this page, as a page of its own.
    public func prefix(_ limit: Int) -> BoardSlice {
        BoardSlice(
            entries: Array(entries.prefix(limit)), cursors: Array(cursors.prefix(limit)),
            hasMore: hasMore || entries.count > limit)
    }
}

/// How many of a filtered board are in, out and overdue, counted over all of it (not one page).
public struct BoardCounts: Sendable, Equatable {
    public var total: Int
    public var `in`: Int
    public var out: Int
    public var overdue: Int

    public init(total: Int, in: Int, out: Int, overdue: Int) {
        self.total = total
        self.in = `in`
        self.out = out
        self.overdue = overdue
    }
}
