import Foundation
import InboardStore

/// A PostgreSQL server of a test's own (initdb in a temporary folder, a free port), so that the test can stop
/// and start it without disturbing the shared one.
public final class TemporaryPostgresCluster: @unchecked Sendable {
    public let port: Int
    let binDirectory: String
    let directory: String

    init() throws {
        binDirectory = try TestEnvironment.require("INBOARD_TEST_PG_BIN")
        port = try freeTCPPort()
        directory = "/tmp/inboard-test-pg-\(UUID().uuidString.prefix(8))"
    }

    /// A new, initialised (not yet started) cluster.
    public static func create() async throws -> TemporaryPostgresCluster {
        let cluster = try TemporaryPostgresCluster()
        try FileManager.default.createDirectory(atPath: cluster.directory, withIntermediateDirectories: true)
        if getuid() == 0 { _ = try await runProgram("/bin/chown", ["postgres", cluster.directory]) }
        try await cluster.pg(
            "initdb", ["-D", "\(cluster.directory)/data", "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
        return cluster
    }

    public var url: DatabaseURL {
        get throws { try DatabaseURL("postgres://postgres@127.0.0.1:\(port)/postgres") }
    }

    public func start() async throws {
        try await pg(
            "pg_ctl",
            [
                "-D", "\(directory)/data", "-l", "\(directory)/log", "-w", "-t", "30",
                "-o", "-p \(port) -c listen_addresses=127.0.0.1 -k \(directory) -c fsync=off", "start",
            ])
    }

    public func stop() async throws {
        try await pg("pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "stop"])
    }

    /// `pg_ctl restart -m fast`: every connection is terminated (57P01), then the server comes back.
    public func restart() async throws {
        try await pg(
            "pg_ctl",
            [
                "-D", "\(directory)/data", "-l", "\(directory)/log", "-w", "-t", "30", "-m", "fast",
                "-o", "-p \(port) -c listen_addresses=127.0.0.1 -k \(directory) -c fsync=off", "restart",
            ])
    }

    public func destroy() async {
        _ = try? await pg("pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func pg(_ tool: String, _ arguments: [String]) async throws {
        let path = "\(binDirectory)/\(tool)"
        let result =
            getuid() == 0
            ? try await runProgram("/usr/sbin/runuser", ["-u", "postgres", "--", path] + arguments)
            : try await runProgram(path, arguments)
        guard result.status == 0 else { throw ProgramFailed("\(tool) failed: \(result.error)") }
    }
}

/// A TCP port nothing listens on right now (the kernel picks it).
public func freeTCPPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    guard bound else { throw ProgramFailed("cannot find a free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}
