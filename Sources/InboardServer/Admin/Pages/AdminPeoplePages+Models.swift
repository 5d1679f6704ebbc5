import Foundation

/// The People admin page: a search and each person's source, role, state and live sessions.
struct AdminPeoplePage {
    struct RoleChoice {
        let value: String
        let label: String
        let selected: Bool
    }

    struct Row {
        let id: Int64
        let username: String
        let displayName: String
        let source: String
        let role: String
        let active: Bool
        let disabledReason: String
        let sessions: Int
        let isMe: Bool
        let roles: [RoleChoice]
    }

    let people: [Row]
    let q: String
}

/// The audit log page: the latest entries, newest first.
struct AdminAuditPage {
    struct Row {
        let at: String
        let actor: String
        let action: String
        let target: String
        let before: String
        let after: String
        let address: String
    }

    let entries: [Row]
}

/// The status types page: one editable row per type, with the others offered as its fallback.
struct AdminStatusTypesPage {
    struct Fallback {
        let id: Int64
        let name: String
        let selected: Bool
    }

    struct Row {
        let id: Int64
        let name: String
        let colour: String
        let icon: String
        let `in`: Bool
        let needsReturnTime: Bool
        let expiry: String
        let sortOrder: Int
        let active: Bool
        let others: [Fallback]
    }

    let types: [Row]
}
