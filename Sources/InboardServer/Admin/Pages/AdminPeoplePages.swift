import Foundation
import Hummingbird
import InboardCore
import InboardStore

/// Admin pages for status types, people (disable/enable, role override, revoke sessions) and the audit log.
struct AdminPeoplePages: Sendable {
    let statuses: any StatusStoring
    let service: StatusService
    let people: any PeopleStoring
    let audit: AuditLog
    let renderer: WebRenderer

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        let admin = group.requiring(.admin)
        admin.get("admin/status-types") { request, context in
            try await typesPage(
                context: context, notice: request.uri.queryParameters.get("saved").map { "Status type \($0) saved." })
        }
        admin.post("admin/status-types") { request, context in
            var request = request
            let form = try await request.form(context: context)
            let id = form["id"].flatMap { Int64($0) }
            guard let presence = StatusType.Presence(rawValue: form["presence"] ?? "") else {
                throw APIError(
                    .unprocessableContent, code: "invalid_field",
                    message: "Choose whether the type counts as in or out.")
            }
            let body = StatusTypeRequest(
                name: form["name"] ?? "", colour: form["colour"] ?? "", icon: form["icon"], presence: presence,
                needsReturnTime: form.has("needsReturnTime"),
                defaultExpiryMinutes: form["defaultExpiryMinutes"].flatMap { Int($0) },
                fallbackTypeId: form["fallbackTypeId"].flatMap { Int64($0) },
                sortOrder: form["sortOrder"].flatMap { Int($0) },
                active: form.has("active"))
            do {
                let saved = try await service.saveType(
                    body, id: id, by: try context.requireIdentity(), from: context.remoteAddress)
                return WebAuthController.redirect(
                    to:
                        "/admin/status-types?saved=\(saved.name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
                )
            } catch let error as APIError where error.status == .unprocessableContent || error.status == .conflict {
                return try await typesPage(context: context, problem: error.message, status: error.status)
            }
        }
        admin.get("admin/people") { request, context in
            let q = try request.uri.queryParameters.text("q")
            let rows = try await people.adminList(search: q, limit: 200).map { row in
                AdminPeoplePage.Row(
                    id: row.id, username: row.username, displayName: row.displayName, source: row.source,
                    role: row.role.rawValue, active: row.active, disabledReason: row.disabledReason ?? "",
                    sessions: row.liveSessions, isMe: row.id == context.identity?.id,
                    roles: [("", "from groups"), ("user", "user"), ("delegate", "delegate"), ("admin", "admin")].map {
                        .init(value: $0.0, label: $0.1, selected: $0.0 == (row.roleOverride?.rawValue ?? ""))
                    })
            }
            return renderer.page(
                "admin-people", title: "People", section: "people", context: context,
                model: AdminPeoplePage(people: rows, q: q ?? ""), notice: request.uri.queryParameters.get("done"))
        }
        admin.post("admin/people/:id/:action") { request, context in
            var request = request
            let me = try context.requireIdentity()
            let id = try context.parameters.require("id", as: Int64.self)
            let form = try await request.form(context: context)
            let done: String
            switch try context.parameters.require("action") {
            case "disable" where id == me.id:
                throw APIError(.unprocessableContent, code: "invalid_field", message: "You cannot disable yourself.")
            case "disable":
                try await people.setActive(id, false, by: me.username, from: context.remoteAddress);
                done = "Disabled; their sessions ended."
            case "enable":
                try await people.setActive(id, true, by: me.username, from: context.remoteAddress); done = "Enabled."
            case "revoke":
                try await people.revokeSessions(id, by: me.username, from: context.remoteAddress);
                done = "Sessions ended."
            case "role":
                let role = form["role"].flatMap(Person.Role.init(rawValue:))
                try await people.setRoleOverride(id, role, by: me.username, from: context.remoteAddress)
                done = "Role set."
            default: throw HTTPError(.notFound)
            }
            return WebAuthController.redirect(
                to: "/admin/people?done=" + (done.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        }
        admin.get("admin/audit") { _, context in
            let entries = try await audit.recent(limit: 200).map { record in
                let entry = record.entry
                return AdminAuditPage.Row(
                    at: record.at, actor: entry.actor, action: entry.action, target: entry.target ?? "",
                    before: entry.before ?? "", after: entry.after ?? "", address: entry.address ?? "")
            }
            return renderer.page(
                "admin-audit", title: "Audit log", section: "audit", context: context,
                model: AdminAuditPage(entries: entries))
        }
    }

    func typesPage(
        context: AppRequestContext, notice: String? = nil, problem: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let types = try await statuses.types(includeInactive: true)
        let rows = types.map { type in
            AdminStatusTypesPage.Row(
                id: type.id, name: type.name, colour: type.colour, icon: type.icon, in: type.presence == .in,
                needsReturnTime: type.needsReturnTime, expiry: type.defaultExpiryMinutes.map(String.init) ?? "",
                sortOrder: type.sortOrder, active: type.active,
                others: types.filter { $0.id != type.id }.map {
                    .init(id: $0.id, name: $0.name, selected: $0.id == type.fallbackTypeID)
                })
        }
        return renderer.page(
            "admin-status-types", title: "Status types", section: "types", context: context,
            model: AdminStatusTypesPage(types: rows), notice: notice, problem: problem, status: status)
    }
}
