import Foundation
import Hummingbird
import InboardCore
import InboardStore
import NIOFoundationCompat

/// The board: people and their statuses (`GET /people`, filters `q`, `department`, `board`), one person, their
/// history, the list of boards, and a CSV export. Hidden notes are removed for viewers who may not see them.
struct BoardController: Sendable {
    let statuses: any StatusStoring
    let people: any PeopleStoring
    let cache: BoardCache
    /// Now, for overdue (`OverdueRule`).
    let clock: @Sendable () -> Date

    /// 404 unless `viewer` may see person `id` (the same answer as for nobody, so ids reveal nothing).
    static func requireShown(_ id: Int64, to viewer: Person, people: any PeopleStoring) async throws {
        guard let subject = try await people.person(id: id), subject.isShown(to: viewer) else {
            throw APIError(.notFound, code: "not_found", message: "There is no person \(id).")
        }
    }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        let users = group.requiring(.user)
        users.get("people") { request, context in
            let viewer = try context.requireIdentity()
            let asked = try BoardRequest(request.uri.queryParameters)
            let gzip = AcceptEncoding.allowsGzip(request.headers[values: .acceptEncoding])
            if Self.asksForACachedPage(asked), let cached = try await cachedPage(asked.limit, for: viewer, gzip: gzip) {
                // Private: the answer depends on who asks; no-cache: revalidate each time (304 is cheap).
                var headers: HTTPFields = [
                    .eTag: cached.tag, .cacheControl: "private, no-cache", .vary: "Accept-Encoding",
                ]
                if let next = cached.next { headers[.link] = Self.nextLink(asked, next) }
                if request.headers[values: .ifNoneMatch].contains(where: {
                    $0.contains(cached.tag) || $0.trimmingCharacters(in: .whitespaces) == "*"
                }) {
                    return Response(status: .notModified, headers: headers)
                }
                headers[.contentType] = "application/json; charset=utf-8"
                if let encoding = cached.contentEncoding { headers[.contentEncoding] = encoding }
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: cached.body))
            }
            let now = clock()
            let slice = try await statuses.board(asked.filter, after: asked.cursor, limit: asked.limit)
            let (json, hiddenNotes) = BoardPageBody(
                people: slice.entries.map { $0.redacted(for: viewer).refreshed(now: now) }, next: slice.next?.token
            ).encoded()
            // Private: it may hold the viewer's own hidden note, and a cookie, not a header, may have signed it in.
            var headers: HTTPFields = [
                .contentType: "application/json; charset=utf-8", .cacheControl: "private, no-cache",
                .vary: "Accept-Encoding",
            ]
            if let next = slice.next { headers[.link] = Self.nextLink(asked, next) }
            // Every page and search is gzipped like the cached page (hidden notes stored apart), unless it fits in a
            // packet as it is; the first page read for its viewer (their hidden note is on it) always, like the
            // cached one.
            if gzip, json.readableBytes >= Self.smallestGzipped || Self.asksForACachedPage(asked),
                let compressed = BoardCompressionRule.gzip(json, hiddenNotes: hiddenNotes)
            {
                headers[.contentEncoding] = "gzip"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: compressed))
            }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: json))
        }
        users.get("people/:id") { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let viewer = try context.requireIdentity()
            try await Self.requireShown(id, to: viewer, people: people)
            guard let entry = try await statuses.entry(personID: id) else {
                throw APIError(.notFound, code: "not_found", message: "There is no person \(id).")
            }
            return try JSONResponse(entry.redacted(for: viewer).refreshed(now: clock()))
        }
        users.get("people/:id/history") { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let viewer = try context.requireIdentity()
            try await Self.requireShown(id, to: viewer, people: people)
            let limit = try request.uri.queryParameters.count("limit", default: 50, in: 1...500)
            let history = try await statuses.history(personID: id, limit: limit).map {
                $0.redacted(for: viewer, subject: id)
            }
            return try JSONResponse(["history": history])
        }
        users.get("boards") { _, _ in try JSONResponse(["boards": try await statuses.boards()]) }
        users.get("people.csv") { request, context in
            let viewer = try context.requireIdentity()
            let filter = try BoardRequest(request.uri.queryParameters).filter
            return try await csvExport(filter, for: viewer)
        }
    }

    /// The cached first page for `limit` as `viewer` sees it, gzipped if asked; nil when it is not
    /// cached (another page size) or the viewer's own hidden note is on it (their board is read for them).
    func cachedPage(_ limit: Int, for viewer: Person, gzip: Bool) async throws -> BoardCache.Page? {
        let snapshot = try await cache.current()
        guard viewer.role >= .delegate || !snapshot.hiddenNoteOwners.contains(viewer.id) else { return nil }
        return snapshot.page(limit, redacted: viewer.role < .delegate, gzip: gzip)
    }

    /// Answers smaller than this are sent as they are: gzip would save less than its header and a round of zlib.
    static let smallestGzipped = 1400

    /// The first page of the whole board at a page size the cache keeps.
    static func asksForACachedPage(_ asked: BoardRequest) -> Bool {
        asked.filter.isEverybody && asked.cursor == nil && BoardCache.cachedLimits.contains(asked.limit)
    }

    static func nextLink(_ asked: BoardRequest, _ next: BoardCursor) -> String {
        "<" + asked.link("/api/v1/people", after: next) + ">; rel=\"next\""
    }

    /// The whole filtered board as CSV, streamed a page at a time: the server never holds more than one page,
    /// whatever the size of the organisation. The first page is read before answering, so a database that is
    /// down is a 503, not an empty file; a failure later cuts the transfer short (the client sees it incomplete).
    func csvExport(_ filter: BoardFilter, for viewer: Person) async throws -> Response {
        let now = clock()
        let first = try await statuses.board(filter, after: nil, limit: BoardRequest.maxLimit)
        let statuses = self.statuses
        let body = ResponseBody { writer in
            var slice = first
            try await writer.write(ByteBuffer(string: BoardCSV.header))
            while true {
                try await writer.write(
                    ByteBuffer(
                        string: BoardCSV.rows(slice.entries.map { $0.redacted(for: viewer).refreshed(now: now) })))
                guard let next = slice.next else { break }
                slice = try await statuses.board(filter, after: next, limit: BoardRequest.maxLimit)
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"inboard-board.csv\"",
            ],
            body: body)
    }
}

/// RFC 4180 CSV of the board; cells that a spreadsheet would run as a formula are prefixed with a quote.
enum BoardCSV {
    static let header = "name,username,email,department,status,note,return_at,overdue\r\n"

    /// The rows of `entries`, each ending in CRLF.
    static func rows(_ entries: [BoardEntry]) -> String {
        var lines: [String] = []
        for entry in entries {
            let status = entry.status
            lines.append(
                [
                    entry.displayName, entry.username, entry.email ?? "", entry.department ?? "", status?.type ?? "",
                    status?.note ?? "", status?.returnAt.map(ISO8601Seconds.string) ?? "",
                    status?.overdue == true ? "yes" : "no",
                ]
                .map(cell).joined(separator: ","))
        }
        return lines.map { $0 + "\r\n" }.joined()
    }

    static func cell(_ value: String) -> String {
        var text = value
        if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
        guard text.contains(where: { ",\"\r\n".contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
