import Foundation
import Hummingbird
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
            let query = request.uri.queryParameters
            if ["q", "department", "board", "limit"].allSatisfy({ (query.get($0) ?? "").isEmpty }) {
                let snapshot = try await cache.current()
                if viewer.role >= .delegate || !snapshot.hiddenNoteOwners.contains(viewer.id) {
                    let (body, tag) =
                        viewer.role >= .delegate
                        ? (snapshot.full, snapshot.fullTag) : (snapshot.redacted, snapshot.redactedTag)
                    // Private: the answer depends on who asks; no-cache: revalidate each time (304 is cheap).
                    let headers: HTTPFields = [.eTag: tag, .cacheControl: "private, no-cache"]
                    if request.headers[values: .ifNoneMatch].contains(where: {
                        $0.contains(tag) || $0.trimmingCharacters(in: .whitespaces) == "*"
                    }) {
                        return Response(status: .notModified, headers: headers)
                    }
                    var fields = headers
                    fields[.contentType] = "application/json; charset=utf-8"
                    return Response(status: .ok, headers: fields, body: .init(byteBuffer: body))
                }
            }
            let people = try await board(request).map { $0.redacted(for: viewer).refreshed(now: clock()) }
            return try JSONResponse(["people": people])
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
            let limit = min(max(request.uri.queryParameters.get("limit", as: Int.self) ?? 50, 1), 500)
            let history = try await statuses.history(personID: id, limit: limit).map {
                $0.redacted(for: viewer, subject: id)
            }
            return try JSONResponse(["history": history])
        }
        users.get("boards") { _, _ in try JSONResponse(["boards": try await statuses.boards()]) }
        users.get("people.csv") { request, context in
            let viewer = try context.requireIdentity()
            let csv = BoardCSV.render(try await board(request).map { $0.redacted(for: viewer).refreshed(now: clock()) })
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/csv; charset=utf-8",
                    .contentDisposition: "attachment; filename=\"inboard-board.csv\"",
                ],
                body: .init(byteBuffer: ByteBuffer(string: csv)))
        }
    }

    func board(_ request: Request) async throws -> [BoardEntry] {
        let query = request.uri.queryParameters
        let nonEmpty = { (key: String) -> String? in query.get(key).flatMap { $0.isEmpty ? nil : $0 } }
        return try await statuses.board(
            search: nonEmpty("q"), department: nonEmpty("department"), board: nonEmpty("board"),
            limit: min(max(query.get("limit", as: Int.self) ?? 1000, 1), 10_000))
    }
}

/// RFC 4180 CSV of the board; cells that a spreadsheet would run as a formula are prefixed with a quote.
enum BoardCSV {
    static func render(_ entries: [BoardEntry]) -> String {
        let iso = ISO8601DateFormatter()
        var lines = ["name,username,email,department,status,note,return_at,overdue"]
        for entry in entries {
            let status = entry.status
            lines.append(
                [
                    entry.displayName, entry.username, entry.email ?? "", entry.department ?? "", status?.type ?? "",
                    status?.note ?? "", status?.returnAt.map { iso.string(from: $0) } ?? "",
                    status?.overdue == true ? "yes" : "no",
                ]
                .map(cell).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func cell(_ value: String) -> String {
        var text = value
        if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
        guard text.contains(where: { ",\"\r\n".contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
