import Foundation
import InboardStore

/// One person as the board's rows and the watched list show them.
struct BoardRow {
    let id: Int64
    let displayName: String
    let username: String
    let department: String
    let type: String
    let colour: String
    let presence: String
    let note: String
    let overdue: Bool
    let returnText: String
    let returnISO: String

    init(_ entry: BoardEntry, now: Date = Date()) {
        id = entry.id
        displayName = entry.displayName
        username = entry.username
        department = entry.department ?? ""
        let status = entry.status
        type = status?.type ?? "No status"
        colour = status?.colour ?? "#9e9e9e"
        presence = status?.presence.rawValue ?? "none"
        note = status?.note ?? ""
        overdue = status?.overdue ?? false
        returnText = WebFormat.shortTime(status?.returnAt, now: now)
        returnISO = WebFormat.iso(status?.returnAt)
    }
}

/// A choice in a filter list (departments, boards).
struct FilterChoice {
    let name: String
    let selected: Bool
}

/// A status type as the status forms offer it.
struct TypeChoice {
    let name: String
    let colour: String
}

/// The board: everyone (or one department or board), counts, filters and my own status.
struct BoardPage {
    struct Counts {
        let `in`: Int
        let out: Int
        let overdue: Int
        let total: Int
    }

    struct MyStatus {
        let type: String
        let colour: String
        let overdue: Bool
    }

    /// Where this page is in the filtered board: links are empty when there is no such page.
    struct Paging {
        let shown: Int
        let isComplete: Bool
        let nextLink: String
        let firstLink: String
    }

    let heading: String
    let counts: Counts
    let paging: Paging
    let q: String
    let csvLink: String
    let departments: [FilterChoice]
    let boards: [FilterChoice]
    let hasBoards: Bool
    let types: [TypeChoice]
    let canHide: Bool
    let people: [BoardRow]
    let mine: MyStatus?
    /// The live stream's position before the board was read: the page's stream resumes from it, so a change
    /// between the read and the stream opening still arrives.
    let streamFrom: String
}

/// A person's card: their status, contact details, history, and watch, note and (for delegates) status forms.
struct PersonCardPage {
    struct Who {
        let id: Int64
        let displayName: String
        let username: String
        let department: String
    }

    struct Status {
        let type: String
        let colour: String
        let overdue: Bool
        let note: String
        let returnText: String
        let expiresText: String
        let setText: String
        let setBy: String
    }

    struct Entry {
        let status: Status?
    }

    struct ContactRow {
        let label: String
        let value: String
    }

    struct HistoryRow {
        let type: String
        let setText: String
        let setBy: String
        let note: String
    }

    let person: Who
    let entry: Entry
    let contact: [ContactRow]
    let isMe: Bool
    let watching: Bool
    let onlyIn: Bool
    let canSetOthers: Bool
    let types: [TypeChoice]
    let history: [HistoryRow]
}

/// My page: notes left for me, whom I watch, who watches me, and my mail choices.
struct MyPage {
    struct Note {
        let from: String
        let body: String
        let when: String
    }

    struct Watcher {
        let displayName: String
        let onlyIn: Bool
    }

    struct MailChoice {
        let event: String
        let label: String
        let on: Bool
    }

    let notes: [Note]
    let watched: [BoardRow]
    let watchers: [Watcher]
    let mail: [MailChoice]
    let email: String
}
