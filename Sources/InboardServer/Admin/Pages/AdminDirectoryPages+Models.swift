import DirectorySync
import Foundation

/// The Directory page: the connection as the draft holds it (lists one per line, never the password), and the
/// steps of the last "Test connection" or "Test login".
struct DirectoryPage {
    struct Step {
        let name: String
        let ok: Bool
        let detail: String
    }

    let isOpenLDAP: Bool
    let isActiveDirectory: Bool
    let domain: String
    let servers: String
    let tlsNone: Bool
    let tlsStartTLS: Bool
    let tlsLDAPS: Bool
    let insecureSkipVerify: Bool
    let caFile: String
    let bindDN: String
    let passwordSet: Bool
    let baseDN: String
    let groupBaseDN: String
    let userFilter: String
    let groupFilter: String
    let loginAttribute: String
    let identityAttribute: String
    let testUser: String
    let tested: Bool
    let testPassed: Bool
    let steps: [Step]

    init(_ draft: DirectoryDraft, passwordSet: Bool, steps: [DirectoryTester.Step]?, testUser: String?) {
        let text = { (key: String) in
            let value = draft.document[key]
            return (value as? [String])?.joined(separator: "\n") ?? value as? String ?? ""
        }
        let flavour = text("flavour").lowercased()
        let tls = text("tls").lowercased()
        isOpenLDAP = flavour == "openldap"
        isActiveDirectory = flavour == "activedirectory"
        domain = text("domain")
        servers = text("servers")
        tlsNone = tls == "none" || tls.isEmpty
        tlsStartTLS = tls == "starttls"
        tlsLDAPS = tls == "ldaps"
        insecureSkipVerify = draft.document["insecureSkipVerify"] as? Bool ?? false
        caFile = text("caFile")
        bindDN = text("bindDN")
        self.passwordSet = passwordSet
        baseDN = text("baseDN")
        groupBaseDN = text("groupBaseDN")
        userFilter = text("userFilter")
        groupFilter = text("groupFilter")
        loginAttribute = text("loginAttribute")
        identityAttribute = text("identityAttribute")
        self.testUser = testUser ?? ""
        tested = steps != nil
        testPassed = steps?.allSatisfy(\.ok) ?? false
        self.steps = (steps ?? []).map { Step(name: $0.name, ok: $0.ok, detail: $0.detail) }
    }
}

/// The Mappings page: each person field's attribute (with the flavour's default as placeholder), the group
/// table (with three empty rows to add more), and the preview of the first people a draft would map.
struct MappingsPage {
    struct Field {
        let field: String
        let value: String
        let placeholder: String
    }

    struct GroupRow {
        var group = ""
        var roleUser = false
        var roleDelegate = false
        var roleAdmin = false
        var department = ""
        var board = ""
    }

    struct Column { let name: String }
    struct Cell { let value: String }

    struct PreviewRow {
        let dn: String
        let cells: [Cell]
        let problem: String
    }

    static let previewColumns = ["username", "displayName", "email", "department", "title"]

    let fields: [Field]
    let groups: [GroupRow]
    let previewed: Bool
    let previewColumns: [Column]
    let preview: [PreviewRow]?

    init(_ draft: DirectoryDraft, preview people: [DirectoryPreview.Person]?) {
        let attributes = draft.document["attributes"] as? [String: String] ?? [:]
        let flavour =
            DirectoryFlavour(rawValue: (draft.document["flavour"] as? String ?? "openldap").lowercased()) ?? .openLDAP
        let defaults = flavour.defaultAttributes
        fields = PersonField.allCases.map { field in
            Field(
                field: field.rawValue, value: attributes[field.rawValue] ?? "",
                placeholder: field == .username
                    ? "the login attribute" : defaults[field].map { "default: \($0)" } ?? "not mapped")
        }
        let stored = (draft.document["groups"] as? [[String: Any]] ?? []).map { row in
            let role = row["role"] as? String
            return GroupRow(
                group: row["group"] as? String ?? "", roleUser: role == "user", roleDelegate: role == "delegate",
                roleAdmin: role == "admin", department: row["department"] as? String ?? "",
                board: row["board"] as? String ?? "")
        }
        groups = stored + Array(repeating: GroupRow(), count: 3)
        previewed = people != nil
        previewColumns = people == nil ? [] : Self.previewColumns.map(Column.init)
        preview = people?.map { person in
            PreviewRow(
                dn: person.dn, cells: Self.previewColumns.map { Cell(value: person.fields[$0] ?? "") },
                problem: person.problem ?? person.disabledReason.map { "disabled: \($0)" } ?? "")
        }
    }
}
