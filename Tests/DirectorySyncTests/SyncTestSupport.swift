import DirectorySync
import Foundation
import InboardStore
import InboardTestSupport
import LDAPKit
import Logging
import PostgresNIO

/// A migrated database of its own, a pool, a secret key and a syncer, for one test.
struct SyncHarness: Sendable {
    let db: TemporaryDatabase
    let pool: DatabasePool
    let secrets: SecretBox
    let syncer: DirectorySyncer
    /// The secret key, as a file, for the `inboard` command line.
    let keyFile: String
    static let logger: Logger = {
        var l = Logger(label: "sync-test"); l.logLevel = .error; return l
    }()

    static func with<T: Sendable>(_ settings: DirectorySettings? = nil, _ body: (SyncHarness) async throws -> T)
        async throws -> T
    {
        try await TemporaryDatabase.with { db in
            let migrator = Migrator(catalog: try MigrationCatalog.embedded(), logger: logger)
            _ = try await db.database.withConnection { try await migrator.migrate(on: $0) }
            let keyFile = try makeSecretKeyFile()
            defer { try? FileManager.default.removeItem(atPath: keyFile) }
            let secrets = try SecretBox.load(keyFile: keyFile)
            let pool = try db.database.makePool()
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await pool.run() }
                defer { group.cancelAll() }
                let harness = SyncHarness(
                    db: db, pool: pool, secrets: secrets,
                    syncer: DirectorySyncer(
                        database: db.database, pool: pool, secrets: secrets, logger: logger,
                        progressInterval: .milliseconds(5)),
                    keyFile: keyFile)
                if let settings { try await harness.save(settings) }
                return try await body(harness)
            }
        }
    }

    func save(_ settings: DirectorySettings) async throws {
        try await db.database.withConnection { connection in
            try await DirectorySettingsStore(secrets: secrets, logger: Self.logger).save(
                settings, by: "test", on: connection)
        }
    }

    func sync(
        _ mode: SyncMode = .full, dryRun: Bool = false, approving: Int64? = nil,
        onProgress: @escaping @Sendable (SyncProgress) -> Void = { _ in }
    ) async throws -> SyncRun {
        try await syncer.run(
            SyncRequest(mode: mode, dryRun: dryRun, requestedBy: "test", approving: approving), onProgress: onProgress)
    }

    /// Waits until a run is blocked in its merge on a lock the test holds on `people` (two minutes at most: a
    /// loaded machine starts and reads slowly); `gaveUp` ends the wait early (the run's process has exited).
    func runIsBlockedInItsMerge(unless gaveUp: () -> Bool = { false }) async throws -> Bool {
        var blocked = false
        try await eventually(within: .seconds(120), every: .milliseconds(25)) {
            blocked =
                try await int("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'people'::regclass") > 0
            return blocked || gaveUp()
        }
        return blocked
    }

    func int(_ sql: String) async throws -> Int {
        for try await value in try await pool.query(
            PostgresQuery(unsafeSQL: "SELECT (\(sql))::bigint"), logger: Self.logger
        ).decode(Int64.self) {
            return Int(value)
        }
        return 0
    }

    func string(_ sql: String) async throws -> String? {
        for try await value in try await pool.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger).decode(
            String?.self)
        { return value }
        return nil
    }

    /// A fingerprint of every synced row, to prove that a failed run changed nothing.
    func snapshot() async throws -> String {
        try await string(
            """
            SELECT md5(coalesce((SELECT string_agg(p::text, '|' ORDER BY id) FROM people p), '') ||
                       coalesce((SELECT string_agg(g::text, '|' ORDER BY id) FROM groups g), '') ||
                       coalesce((SELECT string_agg(m::text, '|' ORDER BY group_id, person_id) FROM memberships m), ''))
            """) ?? ""
    }
}

enum Directory {
    static var base: String { get throws { try TestEnvironment.require("INBOARD_TEST_LDAP_BASE") } }
    static var readerDN: String { get throws { try TestEnvironment.require("INBOARD_TEST_LDAP_READER_DN") } }
    static var readerPassword: String {
        get throws { try TestEnvironment.require("INBOARD_TEST_LDAP_READER_PASSWORD") }
    }

    /// The main slapd's 200-person sample organisation (read only in these tests).
    static func sample(_ url: String? = nil) throws -> DirectorySettings {
        let base = try base
        return DirectorySettings(
            flavour: .openLDAP, servers: [try url ?? TestEnvironment.require("INBOARD_TEST_LDAP_URL")],
            bindDN: try readerDN,
            bindPassword: try readerPassword, baseDN: ["ou=people,\(base)"], groupBaseDN: ["ou=groups,\(base)"],
            groups: [
                GroupMapping(group: "cn=inboard-admins,ou=groups,\(base)", role: .admin),
                GroupMapping(group: "cn=reception,ou=groups,\(base)", role: .delegate),
                GroupMapping(group: "cn=all-staff,ou=groups,\(base)", board: "Everyone"),
                GroupMapping(group: "cn=dept-sales,ou=groups,\(base)", department: "Sales (group)"),
            ])
    }

    /// The third slapd, which only these tests use and change (10,000 people).
    static func third() throws -> DirectorySettings { try sample(TestEnvironment.require("INBOARD_TEST_LDAP3_URL")) }

    static func thirdInstance(_ action: String) async throws {
        let script = try TestEnvironment.require("INBOARD_TEST_SLAPD_CTL")
        let result = try await runProgram("/bin/bash", [script, "instance", "3", action])
        guard result.status == 0 else { throw ProgramFailed("slapd3 \(action): \(result.error)") }
    }

    /// Kills the third slapd at once (SIGKILL): a directory that vanishes mid-read. Returns its process id, for
    /// `waitUntilGone` (the kill only starts its exit; this runs inside a sync's progress callback).
    @discardableResult
    static func killThird() throws -> pid_t {
        let local =
            ProcessInfo.processInfo.environment["INBOARD_LOCAL_DIR"]
            ?? TestEnvironment.repositoryRoot.appendingPathComponent(".local").path
        guard let text = try? String(contentsOfFile: "\(local)/slapd3/slapd.pid", encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            throw ProgramFailed("slapd3 is not running")
        }
        kill(pid, SIGKILL)
        return pid
    }

    /// Waits until a killed process is gone (or a zombie), so that a restart does not find it "still running".
    /// A process killed in the middle of a disk write exits only when the write ends: seconds on a loaded disk.
    static func waitUntilGone(_ pid: pid_t, within limit: Duration = .seconds(60)) async throws {
        let gone = try await eventually(within: limit, every: .milliseconds(20)) {
            // A zombie is dead too, only waiting for its parent.
            kill(pid, 0) != 0
                || ((try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? "").contains("State:\tZ")
        }
        guard gone else { throw ProgramFailed("process \(pid) outlived SIGKILL") }
    }

    static func modifyThird(_ ldif: String) async throws {
        try await ldap(
            "ldapmodify", ldif, url: TestEnvironment.require("INBOARD_TEST_LDAP3_URL"),
            dn: TestEnvironment.require("INBOARD_TEST_LDAP_ADMIN_DN"),
            password: TestEnvironment.require("INBOARD_TEST_LDAP_ADMIN_PASSWORD"))
    }

    static func ldap(_ tool: String, _ ldif: String, url: String, dn: String, password: String, extra: [String] = [])
        async throws
    {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sync-\(UUID()).ldif")
        try ldif.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try await runProgram(
            "/usr/bin/\(tool)", ["-x", "-H", url, "-D", dn, "-w", password] + extra + ["-f", file.path],
            environment: ["LDAPTLS_CACERT": try TestEnvironment.require("INBOARD_TEST_CA_FILE")])
        guard result.status == 0 else { throw ProgramFailed("\(tool): \(result.error)") }
    }
}
