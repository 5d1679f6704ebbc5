import Foundation
import InboardStore
import PostgresNIO

extension Setup {
    /// Checks what setup needs before it changes anything; prints each result and throws with the first fix.
    /// Returns the survey of the database when an administrator's URL was given.
    func checkPrerequisites() async throws -> DatabaseProvisioner.Survey? {
        log.say("[1/4] checking prerequisites")
        var failures: [String] = []
        func report(_ ok: Bool, _ name: String, _ detail: String, fix: String = "") {
            log.say("      \(ok ? "ok  " : "FAIL") \(name): \(detail)\(ok ? "" : "\n           fix: \(fix)")")
            if !ok { failures.append("\(name): \(fix)") }
        }
        var survey: DatabaseProvisioner.Survey?
        let probe = admin ?? database
        do {
            let (version, skew) = try await Database(url: probe, logger: logger).serverVersionAndClockSkew()
            report(
                version >= 130_000, "PostgreSQL",
                "\(version / 10000).\(version % 100) at \(probe.host):\(probe.port) (as \(probe.username))",
                fix: "Inboard needs PostgreSQL 13 or newer")
            report(
                abs(skew) <= 60, "clock", String(format: "%+.1f s from PostgreSQL's", skew),
                fix: "synchronise the clocks (NTP)")
            if let admin {
                survey = try await DatabaseProvisioner(admin: admin, target: database, logger: logger).survey()
            }
        } catch {
            report(
                false, "PostgreSQL", "\(error)",
                fix: admin == nil
                    ? "start PostgreSQL and check --database-url; to create the database, give --database-admin-url"
                    : "start PostgreSQL and check --database-admin-url (a superuser, or a login with CREATEROLE and CREATEDB)"
            )
        }
        let keyMissing = !FileManager.default.fileExists(atPath: answers.secretKeyFile)
        let sealed = keyMissing ? await sealedSecrets() : nil
        if keyMissing, sealed == nil, let survey, survey.databaseExists, survey.tables > 0 {
            report(
                false, "secret key",
                "\(answers.secretKeyFile) does not exist, and neither login may read the settings of database "
                    + "\(database.database) to tell whether it holds secrets sealed with another key",
                fix: "copy the key file from the server that set this database up, or give its path with "
                    + "--secret-key-file")
        }
        if let sealed, sealed > 0 {
            report(
                false, "secret key",
                "\(answers.secretKeyFile) does not exist, but the database holds \(sealed) secret(s) sealed with a key "
                    + "(a new one could open none of them)",
                fix: "copy the key file from the server that set this database up (every server needs the same "
                    + "key), or give its path with --secret-key-file")
        }
        let port = await PortCheck.state(host: answers.httpHost, port: answers.httpPort)
        report(
            port != .taken, "port", "\(answers.httpHost):\(answers.httpPort) \(port.rawValue)",
            fix: "stop what listens there, or choose --http-port")
        do {
            let tool = try PostgresTool.locate("pg_dump")
            report(true, "pg_dump", "\(tool.path) (for 'inboard backup' and 'inboard upgrade')")
        } catch {
            report(false, "pg_dump", "\(error)", fix: "apt install postgresql-client")
        }
        report(true, "libldap", "linked (this binary would not start without it)")
        report(
            log.isWritable, "setup log", log.path,
            fix:
                "run setup as a user who may write \(log.path) (a plain file, not a link), or pass --log-file"
        )
        if !failures.isEmpty {
            throw CommandFailure(
                message: "prerequisites not met, nothing was changed: \(failures.joined(separator: "; "))")
        }
        return survey
    }

    /// Secrets the target database holds already (nil when it cannot be read: it does not exist yet, or neither
    /// login may read it), read with Inboard's login, else the administrator's (a second server given only the
    /// administrator's URL).
    func sealedSecrets() async -> Int? {
        if let count = try? await Database(url: database, logger: logger).sealedSecretCount() { return count }
        guard var inside = admin else { return nil }
        inside.database = database.database
        return try? await Database(url: inside, logger: logger).sealedSecretCount()
    }
}
