import Hummingbird
import InboardStore

/// `DELETE /admin/people/{id}/sessions`: an admin ends every live session of a person (API tokens too).
struct PeopleAdminController: Sendable {
    let people: any PeopleStoring

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.requiring(.admin).delete("admin/people/:id/sessions") { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            try await people.revokeSessions(id, by: try context.requireIdentity().username, from: context.remoteAddress)
            return Response(status: .noContent)
        }
    }
}
