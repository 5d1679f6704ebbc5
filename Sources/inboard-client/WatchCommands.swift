import ArgumentParser
import Foundation
import InboardClient

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "Watch colleagues: you hear when their status changes.",
        subcommands: [Add.self, Remove.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Watch someone.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "A username or a name.") var name: String
        @Flag(help: "Only when they come back (their status becomes In).") var whenBack = false

        func run() async throws {
            try await reporting {
                let api = try ClientContext(connection).api
                let person = try await api.person(named: name)
                try await api.call(.POST, "/api/v1/watches", json: ["personId": person["id"] ?? 0, "onlyIn": whenBack])
                print("watching \(person["displayName"] as? String ?? name)\(whenBack ? " (when back)" : "")")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop watching someone.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "A username or a name.") var name: String

        func run() async throws {
            try await reporting {
                let api = try ClientContext(connection).api
                let person = try await api.person(named: name)
                try await api.call(.DELETE, "/api/v1/watches/\(person["id"] as? Int ?? 0)")
                print("no longer watching \(person["displayName"] as? String ?? name)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The people you watch, with their status.")
        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "One JSON object: {\"people\":[…]}.") var json = false

        func run() async throws {
            try await reporting {
                let answer = try await ClientContext(connection).api.call(.GET, "/api/v1/watches") ?? [:]
                if json { return printJSON(answer) }
                for entry in (answer as? [String: Any])?["people"] as? [[String: Any]] ?? [] {
                    print(EntryText.line(entry))
                }
            }
        }
    }
}

struct NotesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notes", abstract: "Your notes not read yet (now marked read); --all for the latest 100.")
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "The latest 100, read or not.") var all = false
    @Flag(help: "One JSON object: {\"notes\":[…]}.") var json = false

    func run() async throws {
        try await reporting {
            let answer = try await ClientContext(connection).api.call(.GET, "/api/v1/me/notes\(all ? "?all=true" : "")")
            if json { return printJSON(answer ?? [:]) }
            let notes = (answer as? [String: Any])?["notes"] as? [[String: Any]] ?? []
            if notes.isEmpty { print("no notes") }
            for note in notes { print(NoteText.line(note)) }
        }
    }
}

struct NoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "note", abstract: "Leave someone a note.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "A username or a name.") var name: String
    @Argument(help: "The note (up to 1,000 characters).") var text: String

    func run() async throws {
        try await reporting {
            let api = try ClientContext(connection).api
            let person = try await api.person(named: name)
            try await api.call(.POST, "/api/v1/people/\(person["id"] as? Int ?? 0)/notes", json: ["body": text])
            print("note left for \(person["displayName"] as? String ?? name)")
        }
    }
}
