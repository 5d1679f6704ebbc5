import Foundation
import InboardCore

/// A child process started with posix_spawn and reaped with waitpid. Foundation's `Process` is avoided on
/// purpose: on Linux its exit monitoring can miss a child's exit when several run at once, hanging the test.
public final class ChildProcess: @unchecked Sendable {
    private static let spawning = NSLock()
    public let pid: pid_t
    private let outFD: Int32
    private let errFD: Int32
    private var exitStatus: Int32?

    /// Starts `path`; with `capture` false its output goes to `logFile`, or else /dev/null (for long-running servers).
    public init(
        _ path: String, _ arguments: [String], environment: [String: String]? = nil, capture: Bool = true,
        logFile: String? = nil
    ) throws {
        // One spawn at a time in this process: no child is created between another's pipe() and its fcntl().
        Self.spawning.lock()
        defer { Self.spawning.unlock() }
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if capture {
            // Close-on-exec before any other spawn can happen (see `spawning`): a child another test spawns meanwhile
            // must not inherit these pipes, or a long-lived server holds a write end and the reader here waits
            // for an end-of-file that never comes (stalls, and a CI run that hung). Glibc's pipe2 is not visible here.
            guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw ProgramFailed("pipe failed") }
            for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
            posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
            for fd in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, logFile ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        // Nothing else of this process reaches the child: a long-lived child (a test's own PostgreSQL, slapd) holding
        // copies of other tests' connections and listeners keeps them open after those tests close them, and peers
        // wait for an end-of-file that never comes (the runs that stalled with every thread idle, 4 December).
        guard SpawnActions.closeOthers(&actions) else {
            throw ProgramFailed("this C library cannot close descriptors in a child (glibc 2.34 or later needed)")
        }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        // The child starts with no signal blocked and default handlers: the calling thread may block some (the
        // Swift runtime's threads do), and a child that inherits that mask ignores SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, &attributes, argv, envp)
        if capture { close(outPipe[1]); close(errPipe[1]) }
        guard rc == 0 else {
            if capture { close(outPipe[0]); close(errPipe[0]) }
            throw ProgramFailed("cannot start \(path): \(String(cString: strerror(rc)))")
        }
        pid = child
        outFD = capture ? outPipe[0] : -1
        errFD = capture ? errPipe[0] : -1
    }

    public func signal(_ signal: Int32) { kill(pid, signal) }

    /// The exit code if the child has exited (reaping it), nil while it runs.
    public func exitCodeIfExited() -> Int32? {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        exitStatus = Self.decode(status)
        return exitStatus
    }

    /// Blocks until the child exits, reading its output meanwhile.
    public func waitForExit() -> (status: Int32, output: String, error: String) {
        var out = Data(), err = Data()
        var open = [outFD, errFD].filter { $0 >= 0 }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 else { if errno == EINTR { continue } else { break } }
            for entry in fds where entry.revents != 0 {
                let n = read(entry.fd, &buffer, buffer.count)
                if n > 0 {
                    if entry.fd == outFD {
                        out.append(contentsOf: buffer[0..<n])
                    } else {
                        err.append(contentsOf: buffer[0..<n])
                    }
                } else if n == 0 || errno != EINTR {
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        if exitStatus == nil {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            exitStatus = Self.decode(status)
        }
        return (exitStatus!, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// Waits for the child's exit on a thread of its own: blocking here would hold one of the cooperative pool's
    /// threads (two on a two-core machine), and every test and in-process server of the run would wait with it.
    public func exit() async -> (status: Int32, output: String, error: String) {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.waitForExit()) }
        }
    }

    /// Exit code, or 128 + signal number for a child killed by a signal (as shells report it).
    private static func decode(_ status: Int32) -> Int32 {
        (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}

/// Runs a program to completion on a thread of its own (never blocking Swift's cooperative pool, which has
/// only as many threads as cores) and returns its exit status, standard output and standard error.
@discardableResult
public func runProgram(_ path: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> (
    status: Int32, output: String, error: String
) {
    return try await ChildProcess(path, arguments, environment: environment).exit()
}

public struct ProgramFailed: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
