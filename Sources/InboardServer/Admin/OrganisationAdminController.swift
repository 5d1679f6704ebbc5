import Hummingbird
import InboardStore

extension OrganisationSettings: KnownFields {
    static let fields: Set<String> = ["allowHiddenNotes", "idleMinutes", "awayType", "editableFields"]
}

/// `GET|PUT /admin/organisation`: the organisation's rules (hidden notes, idle time and its away type, the
/// contact fields people edit themselves).
struct OrganisationAdminController: Sendable {
    let organisation: any OrganisationStoring
    let statuses: any StatusStoring

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        let admin = group.requiring(.admin)
        admin.get("admin/organisation") { _, _ in try JSONResponse(try await organisation.load()) }
        admin.put("admin/organisation") { request, context in
            let settings = try await request.decodeJSON(as: OrganisationSettings.self, context: context)
            guard OrganisationSettings.idleMinutesAllowed.contains(settings.idleMinutes) else {
                throw APIError(
                    .unprocessableContent, code: "invalid_field",
                    message:
                        "idleMinutes must be \(OrganisationSettings.idleMinutesAllowed.lowerBound) to \(OrganisationSettings.idleMinutesAllowed.upperBound)"
                )
            }
            if let unknown = settings.editableFields.first(where: { PeopleStore.ContactField(rawValue: $0) == nil }) {
                let known = PeopleStore.ContactField.allCases.map(\.rawValue).sorted().joined(separator: ", ")
                throw APIError(
                    .unprocessableContent, code: "invalid_field",
                    message: "editableFields: '\(unknown)' is not one of \(known)")
            }
            guard try await statuses.type(named: settings.awayType) != nil else {
                throw APIError(
                    .unprocessableContent, code: "invalid_field",
                    message: "awayType: there is no status type '\(settings.awayType)'")
            }
            try await organisation.save(
                settings, by: try context.requireIdentity().username, from: context.remoteAddress)
            return try JSONResponse(settings)
        }
    }
}
