import ArgumentParser
import Foundation
import InboardClient

struct BoardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "board",
        abstract: "The board: everyone's status (or a department's), optionally kept up to date as it changes.",
        discussion: """
            When the server cannot be reached or is overloaded, the last whole board read (by 'board' or the agent, \
            the first 1,000 people) is shown, with its time, narrowed here by --department and --search (not \
            --board, whose members only the server knows). --live prints each change as a line of its own after the \
            board, until interrupted.
            """)
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only this department.") var department: String?
    @Option(help: "Only this board (as group mappings give them).") var board: String?
    @Option(name: .customLong("search"), help: "Only people whose name or username holds this.") var search: String?
    @Option(help: "At most this many people (the server sends 1,000 a page).") var limit = 1000
    @Flag(help: "Keep printing changes as they happen.") var live = false
    @Flag(help: "One JSON object: {\"people\":[…]}.") var json = false

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be 1 or more") }
    }

    func run() async throws {
        try await reporting {
            let context = try ClientContext(connection)
            let cache = ClientCache(config: context.config)
            let query = InboardAPI.BoardQuery(department: department, board: board, search: search)
            let people: [[String: Any]]
            do {
                try await context.sendQueued()
                people = try await context.api.board(query, limit: limit)
                // Only the whole board is kept (the agent keeps it too): a part would stand in for it offline.
                if query.isEverybody && limit >= ClientCache.boardSize { cache.saveBoard(people) }
            } catch let error as ClientError {
                guard error.isOutage, !live, let cached = cache.loadBoard() else { throw error }
                guard let narrowed = query.narrow(cached.people) else {
                    FileHandle.standardError.write(
                        Data(
                            "offline, --board cannot be applied to the cached board: its members are the server's\n"
                                .utf8))
                    throw error
                }
                let how =
                    query.isEverybody
                    ? "" : cached.complete ? ", narrowed here" : ", narrowed here from its first 1,000 people"
                FileHandle.standardError.write(
                    Data("offline: \(error); the board as it was at \(cached.savedAt)\(how)\n".utf8))
                people = Array(narrowed.prefix(limit))
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
