import ArgumentParser
import Foundation
import InboardClient

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Print your own status.")
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Your board entry as JSON.") var json = false

    func run() async throws {
        try await reporting {
            let context = try ClientContext(connection)
            try await context.sendQueued()
            let api = context.api
            let me = try await api.call(.GET, "/api/v1/me") as? [String: Any] ?? [:]
            guard let id = me["id"] as? Int else { throw ClientError.local("the server did not say who you are") }
            let entry = try await api.call(.GET, "/api/v1/people/\(id)") as? [String: Any] ?? [:]
            if json { printJSON(entry) } else { print(EntryText.line(entry)) }
        }
    }
}

struct SetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Set your status: a type's name (In, Out, Remote, …) and optionally more.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The status type's name or id.") var type: String
    @Option(help: "A note (up to 280 characters).") var note: String?
    @Option(help: "Back at HH:MM today.") var back: String?
    @Option(name: .customLong("for"), help: "Back after this long: 2h, 30m, 1h30m.") var duration: String?
    @Option(help: "The status ends at HH:MM today or an ISO 8601 time (then the type's fallback applies).")
    var until: String?
    @Flag(help: "Hide the note from everyone but delegates and admins.") var hideNote = false
    @Flag(help: "The new board entry as JSON.") var json = false

    func validate() throws {
        if back != nil && duration != nil { throw ValidationError("give --back or --for, not both") }
    }

    func run() async throws {
        try await reporting {
            var body: [String: Any] = ["type": type]
            if let note { body["note"] = note }
            if hideNote { body["noteHidden"] = true }
            if let back { body["returnAt"] = ReturnTime.iso(try ReturnTime.at(back)) }
            if let duration { body["returnAt"] = ReturnTime.iso(try ReturnTime.after(duration)) }
            if let until { body["expiresAt"] = ReturnTime.iso(try ReturnTime.parse(until)) }
            let context = try ClientContext(connection)
            guard context.api.token != nil else { throw ClientError.notLoggedIn }
            let queue = OfflineQueue(config: context.config)
            let madeAt = Date()
            do {
                try await context.sendQueued()
                let entry = try await context.api.call(.PUT, "/api/v1/me/status", json: body)
                if json { printJSON(entry ?? [:]) } else { print(EntryText.line(entry as? [String: Any] ?? [:])) }
            } catch let error as ClientError where error.isOutage {
                // Kept with its time and sent when the server is back (not over a newer change); a logout before
                // then keeps it for this person's next login here (one with a hidden note, or more than 8 days
                // old, is dropped).
                let (token, account) = (context.api.token, context.config.account)
                try queue.append(
                    OfflineQueue.Change(
                        body: body, madeAt: madeAt, owner: account, session: OfflineQueue.session(of: token)))
                let waiting = queue.count(ofSession: token, account: account)
                print(
                    "queued: the server cannot be reached; the change (\(waiting) waiting) is sent with "
                        + "its time when it is back")
            }
        }
    }
}

struct WhoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "who", abstract: "Print someone's status.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "A username or a name.") var name: String
    @Flag(help: "The board entry as JSON.") var json = false

    func run() async throws {
        try await reporting {
            let entry = try await ClientContext(connection).api.person(named: name)
            if json { printJSON(entry) } else { print(EntryText.line(entry)) }
        }
    }
}

struct PresenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presence",
        abstract: "Report that you are idle or active again (auto-away: an In status becomes the away type).")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "idle or active") var state: String
    @Option(help: "How long you have been idle, in seconds (idle only; default: long enough for any setting).")
    var seconds: Int?

    func run() async throws {
        try await reporting {
            let idle: Int
            switch state {
            case "idle": idle = seconds ?? 86_400
            case "active": idle = 0
            default: throw ClientError.usage("'\(state)': say idle or active")
            }
            let answer =
                try await ClientContext(connection).api.call(
                    .POST, "/api/v1/me/presence", json: ["idleSeconds": idle]) as? [String: Any] ?? [:]
            let entry = answer["person"] as? [String: Any] ?? [:]
            print((answer["changed"] as? Bool == true ? "changed: " : "unchanged: ") + EntryText.line(entry))
        }
    }
}
