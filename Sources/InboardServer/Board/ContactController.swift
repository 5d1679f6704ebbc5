import Foundation
import Hummingbird
import InboardStore

/// `PUT /me/contact`: people edit the contact fields the admin left to them (the directory masters the
/// rest, and a sync would overwrite them; `OrganisationAdminController` sets which fields those are).
struct ContactController: Sendable {
    let people: any PeopleStoring
    let organisation: any OrganisationStoring
    let statuses: any StatusStoring
    /// Told of changes made here, so this process's next board read already shows them.
    let board: BoardCache

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.requiring(.user).put("me/contact") { request, context in
            let me = try context.requireIdentity()
            let body = try await request.decodeJSON(as: [String: String?].self, context: context)
            let organisation = try await self.organisation.load()
            for key in body.keys
            where !(organisation.editableFields.contains(key) && PeopleStore.ContactField(rawValue: key) != nil) {
                throw APIError(
                    .forbidden, code: "field_not_editable",
                    message:
                        "'\(key)' comes from the directory; editable here: \(organisation.editableFields.joined(separator: ", "))"
                )
            }
            var changes: [PeopleStore.ContactField: String?] = [:]
            for (key, value) in body {
                let text = value?.trimmingCharacters(in: .whitespacesAndNewlines)
                guard (text?.count ?? 0) <= 200 else {
                    throw APIError(
                        .unprocessableContent, code: "invalid_field", message: "\(key) is longer than 200 characters")
                }
                if let field = PeopleStore.ContactField(rawValue: key) {
                    changes[field] = text?.isEmpty == true ? nil : text
                }
            }
            try await people.updateContact(me.id, changes)
            await board.invalidate()
            guard let entry = try await statuses.entry(personID: me.id) else {
                throw APIError(.notFound, code: "not_found", message: "You are not on the board.")
            }
            return try JSONResponse(entry.redacted(for: me))
        }
    }
}
