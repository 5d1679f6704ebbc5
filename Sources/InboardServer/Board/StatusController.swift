import Foundation
import Hummingbird
import InboardCore
import InboardStore
import Logging
import PostgresNIO

/// Setting statuses: my own (`PUT /me/status`), someone else's as a delegate (`PUT /people/{id}/status`),
/// the status types everyone picks from, and the admin's management of those types.
struct StatusController: Sendable {
    let statuses: StatusStore
    let database: PostgresClient
    /// Told of changes made here, so this process's next board read already shows them.
    let board: BoardCache
    let logger: Logger

    struct StatusRequest: Decodable, KnownFields {
        static let fields: Set<String> = ["type", "note", "noteHidden", "returnAt", "expiresAt"]
        let type: String
        let note: String?
        let noteHidden: Bool?
        let returnAt: Date?
        let expiresAt: Date?
    }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        let users = group.requiring(.user)
        users.get("status-types") { _, _ in try JSONResponse(["statusTypes": try await statuses.types()]) }
        users.put("me/status") { request, context in
            let me = try context.requireIdentity()
            return try JSONResponse(try await set(personID: me.id, request: request, context: context))
        }
        group.requiring(.delegate).put("people/:id/status") { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            return try JSONResponse(try await set(personID: id, request: request, context: context))
        }
        let admin = group.requiring(.admin)
        admin.get("admin/status-types") { _, _ in try JSONResponse(["statusTypes": try await statuses.types(includeInactive: true)]) }
        admin.post("admin/status-types") { request, context in try await saveType(request, context: context, id: nil) }
        admin.put("admin/status-types/:id") { request, context in
            try await saveType(request, context: context, id: try context.parameters.require("id", as: Int64.self))
        }
    }

    func set(personID: Int64, request: Request, context: AppRequestContext) async throws -> BoardEntry {
        let body = try await request.decodeJSON(as: StatusRequest.self, context: context)
        guard let type = try await statuses.type(named: body.type) else {
            throw APIError(.unprocessableContent, code: "invalid_field", message: "type '\(body.type)' is not a status type (GET /api/v1/status-types)")
        }
        let organisation = try await OrganisationSettings.load(from: database, logger: logger)
        let change: StatusChange
        do {
            change = try StatusChange(note: body.note, noteHidden: body.noteHidden ?? false, returnAt: body.returnAt, expiresAt: body.expiresAt)
                .validated(for: type, now: Date(), hidingAllowed: organisation.allowHiddenNotes)
        } catch {
            throw APIError(.unprocessableContent, code: "invalid_field", message: error.description)
        }
        do {
            let entry = try await statuses.set(personID: personID, type: type, change: change, setBy: context.identity?.id, source: context.remoteAddress)
            await board.invalidate()
            return entry.redacted(for: try context.requireIdentity())
        } catch StatusStoreError.noSuchPerson {
            throw APIError(.notFound, code: "not_found", message: "There is no person \(personID).")
        }
    }

    struct TypeRequest: Decodable, KnownFields {
        static let fields: Set<String> = ["id", "name", "colour", "icon", "presence", "needsReturnTime", "defaultExpiryMinutes", "fallbackTypeId", "sortOrder", "active"]
        let name: String
        let colour: String
        let icon: String?
        let presence: StatusType.Presence
        let needsReturnTime: Bool?
        let defaultExpiryMinutes: Int?
        let fallbackTypeId: Int64?
        let sortOrder: Int?
        let active: Bool?
    }

    func saveType(_ request: Request, context: AppRequestContext, id: Int64?) async throws -> Response {
        let body = try await request.decodeJSON(as: TypeRequest.self, context: context)
        let type = StatusType(id: id ?? 0, name: body.name.trimmingCharacters(in: .whitespaces), colour: body.colour, icon: body.icon ?? "",
                              presence: body.presence, needsReturnTime: body.needsReturnTime ?? false,
                              defaultExpiryMinutes: body.defaultExpiryMinutes, fallbackTypeID: body.fallbackTypeId,
                              sortOrder: body.sortOrder ?? 100, active: body.active ?? true)
        guard !type.name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw APIError(.unprocessableContent, code: "invalid_field", message: "name is empty")
        }
        guard type.colour.wholeMatch(of: /#[0-9a-fA-F]{6}/) != nil else {
            throw APIError(.unprocessableContent, code: "invalid_field", message: "colour '\(type.colour)' is not #RRGGBB")
        }
        if let minutes = type.defaultExpiryMinutes, minutes <= 0 {
            throw APIError(.unprocessableContent, code: "invalid_field", message: "defaultExpiryMinutes must be positive")
        }
        do {
            let saved = try await statuses.save(type, create: id == nil)
            try await database.query("""
                INSERT INTO audit_log (actor, action, target, after, address)
                VALUES (\(context.identity?.username ?? "?"), \(id == nil ? "status-type.create" : "status-type.update"), \(saved.name),
                        \(String(decoding: try JSONEncoder().encode(saved), as: UTF8.self))::jsonb, \(context.remoteAddress))
                """, logger: logger)
            return try JSONResponse(saved, status: id == nil ? .created : .ok)
        } catch StatusStoreError.noSuchType {
            throw APIError(.notFound, code: "not_found", message: "There is no status type \(id ?? 0).")
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw APIError(.conflict, code: "duplicate", message: "A status type named '\(type.name)' exists already.")
        }
    }
}

extension AppRequestContext {
    func requireIdentity() throws -> Person {
        guard let identity else { throw APIError(.unauthorized, code: "unauthorized", message: "Log in first.") }
        return identity
    }
}
