import Foundation
import Hummingbird
import InboardStore
import Logging
import PostgresNIO

/// `PUT /me/contact`: people edit the contact fields the admin left to them (the directory masters the
/// rest, and a sync would overwrite them). `GET|PUT /admin/organisation` sets which fields those are, and
/// the other organisation rules.
extension OrganisationSettings: KnownFields {
    static let fields: Set<String> = ["allowHiddenNotes", "idleMinutes", "awayType", "editableFields"]
}

struct ContactController: Sendable {
    static let fields = ["phone": "phone", "mobile": "mobile", "office": "office", "title": "title", "email": "email"]
    let database: DatabasePool
    let statuses: StatusStore
    /// Told of changes made here, so this process's next board read already shows them.
    let board: BoardCache
    let logger: Logger

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.requiring(.user).put("me/contact") { request, context in
            let me = try context.requireIdentity()
            let body = try await request.decodeJSON(as: [String: String?].self, context: context)
            let organisation = try await OrganisationSettings.load(from: database, logger: logger)
            for key in body.keys where !(organisation.editableFields.contains(key) && Self.fields[key] != nil) {
                throw APIError(.forbidden, code: "field_not_editable",
                               message: "'\(key)' comes from the directory; editable here: \(organisation.editableFields.joined(separator: ", "))")
            }
            for (key, value) in body {
                let text = value?.trimmingCharacters(in: .whitespacesAndNewlines)
                guard (text?.count ?? 0) <= 200 else { throw APIError(.unprocessableContent, code: "invalid_field", message: "\(key) is longer than 200 characters") }
                // The column name comes from the fixed table above, never from the request.
                try await database.query(PostgresQuery(unsafeSQL: "UPDATE people SET \(Self.fields[key]!) = $1, updated_at = now() WHERE id = $2",
                                                       binds: { var b = PostgresBindings(); b.append(text?.isEmpty == true ? nil : text); b.append(me.id); return b }()),
                                         logger: logger)
            }
            await board.invalidate()
            guard let entry = try await statuses.entry(personID: me.id) else { throw APIError(.notFound, code: "not_found", message: "You are not on the board.") }
            return try JSONResponse(entry.redacted(for: me))
        }
        let admin = group.requiring(.admin)
        admin.get("admin/organisation") { _, _ in try JSONResponse(try await OrganisationSettings.load(from: database, logger: logger)) }
        admin.put("admin/organisation") { request, context in
            let settings = try await request.decodeJSON(as: OrganisationSettings.self, context: context)
            guard settings.idleMinutes > 0 else { throw APIError(.unprocessableContent, code: "invalid_field", message: "idleMinutes must be positive") }
            if let unknown = settings.editableFields.first(where: { Self.fields[$0] == nil }) {
                throw APIError(.unprocessableContent, code: "invalid_field", message: "editableFields: '\(unknown)' is not one of \(Self.fields.keys.sorted().joined(separator: ", "))")
            }
            guard try await statuses.type(named: settings.awayType) != nil else {
                throw APIError(.unprocessableContent, code: "invalid_field", message: "awayType: there is no status type '\(settings.awayType)'")
            }
            try await settings.save(to: database, by: context.identity?.username ?? "admin", logger: logger)
            return try JSONResponse(settings)
        }
        admin.delete("admin/people/:id/sessions") { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            try await PeopleStore(database: database, logger: logger).revokeSessions(id, by: try context.requireIdentity().username, from: context.remoteAddress)
            return Response(status: .noContent)
        }
    }
}
