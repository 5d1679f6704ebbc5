import ArgumentParser
import Foundation
import InboardClient
import InboardCore

struct ListenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Print watch events and notes as they arrive, one line each (or one JSON object with --json).",
        discussion: """
            Runs until interrupted. A dropped connection is resumed with Last-Event-ID, so nothing is missed \
            while the server restarts or another server takes over; after more than the server replays (1,000 \
            events, or older than the seven days it keeps) it prints a reset line instead: read your notes and \
            the board again. --notify hands each \
            one to the desktop's notifier (notify-send).
            """)
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "One JSON object per event: {\"id\",\"event\",\"data\"}.") var json = false
    @Flag(help: "Also every status change on the board, not only watch events and notes.") var all = false
    @Flag(help: "Show each one with notify-send as well.") var notify = false

    func run() async throws {
        try await reporting {
            let context = try ClientContext(connection)
            guard let token = context.api.token else { throw ClientError.notLoggedIn }
            let follower = EventFollower(http: context.api.http, token: token)
            try await follower.follow { event in
                guard all || event.isPersonal else { return }
                if json {
                    emit(
                        jsonLine([
                            "id": event.id.map { Int($0) } ?? NSNull(), "event": event.kind, "data": event.object,
                        ]))
                } else {
                    emit(event.text)
                }
                if notify { Notifier.show(event) }
            }
        }
    }
}

/// The desktop's notifier, where there is one; its absence is not an error.
enum Notifier {
    static func show(_ event: LiveEvent) {
        let title = event.kind == "note" ? "Inboard: note" : "Inboard"
        var pid: pid_t = 0
        let arguments = ["notify-send", "--app-name=Inboard", title, event.text]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // The notifier gets none of the client's descriptors (its connection to the server among them).
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        SpawnActions.closeOthers(&actions)
        if posix_spawnp(&pid, "notify-send", &actions, nil, argv, environ) == 0 { waitpid(pid, nil, 0) }
    }
}
