import Foundation

/// One of PostgreSQL's own client programs (`pg_dump`, `pg_restore`), run against a `DatabaseURL`.
/// The password travels in the child's environment, never in its arguments (which `ps` shows to every user).
public struct PostgresTool: Sendable {
    public let path: String

    /// `name` from PATH, or else the newest `/usr/lib/postgresql/VERSION/bin` (Debian's layout).
    public static func locate(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(PostgresToolError) -> PostgresTool
    {
        let fileManager = FileManager.default
        let searchPath = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        let debianVersions = ((try? fileManager.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap(Int.init).sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin" }
        for folder in searchPath + debianVersions {
            let candidate = folder + "/" + name
            if fileManager.isExecutableFile(atPath: candidate) { return PostgresTool(path: candidate) }
        }
        throw .notInstalled(name)
    }

    /// Runs the program with `arguments`; its standard output goes to `output` (or is returned when nil).
    /// Throws with the program's own last error lines when it fails.
    @discardableResult
    public func run(_ arguments: [String], on database: DatabaseURL, output: FileHandle? = nil) async throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = Self.connectionEnvironment(for: database)
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "inboard-\(UUID().uuidString).err")
        let outputPath = errorFile.path + ".out"
        for file in [errorFile.path] + (output == nil ? [outputPath] : [])
        where !FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o600]) {
            throw PostgresToolError.couldNotStart(path, "cannot create \(file)")
        }
        defer {
            try? FileManager.default.removeItem(at: errorFile)
            try? FileManager.default.removeItem(atPath: outputPath)
        }
        process.standardError = try FileHandle(forWritingTo: errorFile)
        process.standardOutput = try output ?? FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: PostgresToolError.couldNotStart(path, "\(error)"))
            }
        }
        guard status == 0 else {
            let message = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
            let lines = message.split(separator: "\n").suffix(3).joined(separator: "; ")
            throw PostgresToolError.failed(URL(fileURLWithPath: path).lastPathComponent, status: status, lines)
        }
        return output == nil ? (FileManager.default.contents(atPath: outputPath) ?? Data()) : Data()
    }

    /// libpq's PG* variables for `database`, with nothing else inherited but PATH and the locale.
    static func connectionEnvironment(for database: DatabaseURL) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { ["PATH", "LANG", "LC_ALL"].contains($0.key) }
        environment["PGHOST"] = database.host
        environment["PGPORT"] = String(database.port)
        environment["PGUSER"] = database.username
        environment["PGDATABASE"] = database.database
        environment["PGPASSWORD"] = database.password
        environment["PGSSLMODE"] = database.sslMode.rawValue
        environment["PGSSLROOTCERT"] = database.sslRootCertificate ?? systemRootsForVerifyFull(database)
        environment["PGCONNECT_TIMEOUT"] = "10"
        return environment
    }

    /// verify-full without sslrootcert: the server checks the system's roots, but libpq (before 16) looks for
    /// ~/.postgresql/root.crt and fails, so `backup` and `upgrade` could not reach a database `serve` reaches.
    static func systemRootsForVerifyFull(_ database: DatabaseURL) -> String? {
        guard database.sslMode == .verifyFull else { return nil }
        return ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"].first {
            FileManager.default.isReadableFile(atPath: $0)
        }
    }
}

public enum PostgresToolError: Error, CustomStringConvertible, Equatable {
    case notInstalled(String)
    case couldNotStart(String, String)
    case failed(String, status: Int32, String)

    public var description: String {
        switch self {
        case let .notInstalled(name):
            return "\(name) was not found on PATH or under /usr/lib/postgresql: install PostgreSQL's client programs "
                + "(Debian: apt install postgresql-client)"
        case let .couldNotStart(path, reason): return "could not start \(path): \(reason)"
        case let .failed(name, status, message): return "\(name) failed (exit \(status)): \(message)"
        }
    }
}
