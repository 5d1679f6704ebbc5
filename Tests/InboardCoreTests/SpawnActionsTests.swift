import Foundation
import InboardCore
import Testing

/// A child started with `SpawnActions.closeOthers` holds none of this process's sockets (SwiftNIO's have no
/// close-on-exec): without it, a long-lived child kept other tests' connections open and a CI run stalled.
@Suite struct SpawnActionsTests {
    /// How many sockets a child shell holds, with or without the action.
    func socketsInAChild(closingOthers: Bool) throws -> Int {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)  // no close-on-exec, as SwiftNIO opens them
        defer { close(socketFD) }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("spawn-\(UUID()).txt").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if closingOthers { #expect(SpawnActions.closeOthers(&actions)) }
        let script = "ls -l /proc/self/fd | grep -c socket > '\(output)'"
        let words: [String] = ["/bin/sh", "-c", script]
        let argv = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        #expect(posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ) == 0)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let count = try String(contentsOfFile: output, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return try #require(Int(count))
    }

    @Test func aChildGetsNoneOfThisProcesssSockets() throws {
        #expect(try socketsInAChild(closingOthers: false) >= 1, "the check itself sees an inherited socket")
        #expect(try socketsInAChild(closingOthers: true) == 0)
    }
}
