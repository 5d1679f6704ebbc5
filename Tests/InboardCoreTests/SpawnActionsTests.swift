import Foundation
import InboardCore
import Testing

/// A child started with `SpawnActions.closeOthers` holds none of this process's descriptors above standard error
/// (SwiftNIO's sockets have no close-on-exec): without it, a long-lived child kept other tests' connections open
/// and CI runs stalled.
@Suite struct SpawnActionsTests {
    /// Whether a child shell still has this process's socket, with or without the action.
    func childHoldsASocket(closingOthers: Bool) throws -> Bool {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)  // no close-on-exec, as SwiftNIO opens them
        defer { close(socketFD) }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("spawn-\(UUID()).txt").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if closingOthers { #expect(SpawnActions.closeOthers(&actions)) }
        // The shell's own descriptor table ($$), at the socket's number: "socket:[…]" when inherited.
        let script = "readlink /proc/$$/fd/\(socketFD) > '\(output)' || true"
        let words: [String] = ["/bin/sh", "-c", script]
        let argv = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        #expect(posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ) == 0)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return try String(contentsOfFile: output, encoding: .utf8).hasPrefix("socket:")
    }

    @Test func aChildGetsNoneOfThisProcesssSockets() throws {
        #expect(try childHoldsASocket(closingOthers: false), "the check itself sees an inherited socket")
        #expect(try !childHoldsASocket(closingOthers: true))
    }
}
