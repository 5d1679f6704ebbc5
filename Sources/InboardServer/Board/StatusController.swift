import Foundation
import Hummingbird
import InboardCore
import InboardStore
import Logging

/// Setting statuses: my own (`PUT /me/status`), someone else's as a delegate (`PUT /people/{id}/status`),
/// the status types everyone picks from, and the admin's management of those types.
struct StatusController: Sendable {
    let service: StatusService
    var statuses: any StatusStoring { service.statuses }
    var logger: Logger { service.logger }

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
        admin.get("admin/status-types") { _, _ in
            try JSONResponse(["statusTypes": try await statuses.types(includeInactive: true)])
        }
        admin.post("admin/status-types") { request, context in try await saveType(request, context: context, id: nil) }
        admin.put("admin/status-types/:id") { request, context in
            try await saveType(request, context: context, id: try context.parameters.require("id", as: Int64.self))
        }
    }

    func set(personID: Int64, request: Request, context: AppRequestContext) async throws -> BoardEntry {
        let body = try await request.decodeJSON(as: StatusRequest.self, context: context)
        return try await service.set(
            personID: personID, body, by: try context.requireIdentity(), from: context.remoteAddress)
    }

    func saveType(_ request: Request, context: AppRequestContext, id: Int64?) async throws -> Response {
        let body = try await request.decodeJSON(as: StatusTypeRequest.self, context: context)
        let saved = try await service.saveType(
            body, id: id, by: try context.requireIdentity(), from: context.remoteAddress)
        return try JSONResponse(saved, status: id == nil ? .created : .ok)
    }
}

extension AppRequestContext {
    func requireIdentity() throws -> Person {
        guard let identity else { throw APIError(.unauthorized, code: "unauthorized", message: "Log in first.") }
        return identity
    }
}
