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

    /// Its folder is a disk of its own of this size (a tmpfs), so that a test can fill it; nil on the shared disk.
    public private(set) var diskMegabytes: Int?

    /// A new, initialised (not yet started) cluster; with `diskMegabytes`, on a disk of its own that size
    /// (mounting one needs root).
    public static func create(diskMegabytes: Int? = nil) async throws -> TemporaryPostgresCluster {
        let cluster = try TemporaryPostgresCluster()
        try FileManager.default.createDirectory(atPath: cluster.directory, withIntermediateDirectories: true)
        if let diskMegabytes {
            let mounted = try await runProgram(
                "/bin/mount", ["-t", "tmpfs", "-o", "size=\(diskMegabytes)m,mode=0755", "tmpfs", cluster.directory])
            guard mounted.status == 0 else { throw ProgramFailed("cannot mount a small disk: \(mounted.error)") }
            cluster.diskMegabytes = diskMegabytes
        }
        do {
            if getuid() == 0 { _ = try await runProgram("/bin/chown", ["postgres", cluster.directory]) }
            try await cluster.pg(
                "initdb",
                ["-D", "\(cluster.directory)/data", "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
        } catch {
            await cluster.destroy()
            throw error
        }
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
        if diskMegabytes != nil { _ = try? await runProgram("/bin/umount", ["-l", directory]) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Whether the server is up (`pg_ctl status`): a full disk under its write-ahead log stops it.
    public func isRunning() async -> Bool {
        (try? await pg("pg_ctl", ["-D", "\(directory)/data", "status"])) != nil
    }

    /// Fills this cluster's own disk to the last byte with a file beside the data; returns the bytes written.
    public func fillDisk() throws -> Int {
        precondition(diskMegabytes != nil, "fillDisk() on the shared disk")
        let fd = open(fillerPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ProgramFailed("cannot create \(fillerPath)") }
        defer { close(fd) }
        var written = 0
        for chunk in [1 << 20, 4096, 1] {
            let zeros = [UInt8](repeating: 0, count: chunk)
            while true {
                let n = zeros.withUnsafeBytes { write(fd, $0.baseAddress, chunk) }
                if n <= 0 { break }
                written += n
            }
        }
        return written
    }

    /// Gives the space `fillDisk()` took back.
    public func freeDisk() throws { try FileManager.default.removeItem(atPath: fillerPath) }

    private var fillerPath: String { "\(directory)/filler" }

    /// `pg_amcheck` over every table and index of the database: heap and B-tree structure (it installs the
    /// amcheck extension when missing). Nil when all is well, else what it found.
    public func corruption() async throws -> String? {
        let path = "\(binDirectory)/pg_amcheck"
        let arguments = [
            "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "--install-missing", "--heapallindexed", "postgres",
        ]
        let result = try await runProgram(path, arguments)
        return result.status == 0 ? nil : "pg_amcheck exit \(result.status): \(result.output)\(result.error)"
    }

    private func pg(_ tool: String, _ arguments: [String]) async throws {
        let path = "\(binDirectory)/\(tool)"
        let result =
            getuid() == 0
            ? try await runProgram("/usr/sbin/runuser", ["-u", "postgres", "--", path] + arguments)
            : try await runProgram(path, arguments)
        guard result.status == 0 else {
            // pg_ctl says only "could not start server": the server's own log says why.
            let log = (try? String(contentsOfFile: "\(directory)/log", encoding: .utf8)) ?? ""
            let tail = log.split(separator: "\n").suffix(5).joined(separator: "\n")
            throw ProgramFailed("\(tool) failed: \(result.error)\(tail.isEmpty ? "" : "\nits log ends:\n\(tail)")")
        }
    }
}
