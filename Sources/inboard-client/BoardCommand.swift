import ArgumentParser
import Foundation
import InboardClient

struct BoardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "board",
        abstract: "The board: everyone's status (or a department's), optionally kept up to date as it changes.",
        discussion: """
            When the server cannot be reached, the last board read is shown, with its time. --live prints each \
            change as a line of its own after the board, until interrupted.
            """)
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only this department.") var department: String?
    @Option(help: "Only this board (as group mappings give them).") var board: String?
    @Option(name: .customLong("search"), help: "Only people whose name or username holds this.") var search: String?
    @Option(help: "At most this many people (the server sends 1,000 a page).") var limit = 1000
    @Flag(help: "Keep printing changes as they happen.") var live = false
    @Flag(help: "One JSON object: {\"people\":[…]}.") var json = false

    func run() async throws {
        try await reporting {
            let context = try ClientContext(connection)
            let cache = ClientCache(config: context.config)
            let people: [[String: Any]]
            do {
                try await context.sendQueued()
                people = try await context.api.board(
                    .init(department: department, board: board, search: search), limit: limit)
                cache.save("board", people)
            } catch let error as ClientError {
                guard case .unreachable = error, let cached = cache.load("board"), !live else { throw error }
                FileHandle.standardError.write(
                    Data("offline: \(error); the board as it was at \(cached.savedAt)\n".utf8))
                people = cached.value as? [[String: Any]] ?? []
            }
            if json {
                printJSON(["people": people])
            } else {
                for entry in people { print(EntryText.line(entry)) }
            }
            guard live, let token = context.api.token else { return }
            let shown = Set(people.compactMap { $0["id"] as? Int })
            try await EventFollower(http: context.api.http, token: token).follow { event in
                guard event.kind == "status", let id = event.object["id"] as? Int, shown.contains(id) else { return }
                emit(json ? jsonLine(event.object) : EntryText.line(event.object))
            }
        }
    }
}
