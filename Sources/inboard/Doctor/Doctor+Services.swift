import DirectorySync
import Foundation
import InboardStore
import LDAPKit
import Mailer

extension Doctor {
    /// Reach, TLS, bind and search with the stored directory settings, and the directory's clock.
    func directoryChecks(secrets: SecretBox) async -> [Finding] {
        let settings: DirectorySettings?
        do { settings = try await storedSettings(environment, secrets) } catch {
            return [
                .failed(
                    "directory", "\(error)",
                    fix: "enter the directory settings again (admin page or 'inboard directory set')"),
                .skipped("directory clock", "not checked: no usable directory settings"),
            ]
        }
        guard let settings else {
            return [
                .skipped("directory", "no directory configured: only local accounts can log in"),
                .skipped("directory clock", "no directory configured"),
            ]
        }
        let logger = self.logger
        let fix = "start the directory server or correct the settings; 'inboard directory test' shows each step"
        // Each LDAP step has its own time limit; this one bounds them all, servers tried in turn included.
        let directory = await timed("directory", seconds: 60, fix: fix) {
            let steps = await DirectoryTester(settings: settings, logger: logger).run()
            if let failed = steps.first(where: { !$0.ok }) {
                return .failed("directory", "\(failed.name): \(failed.detail)", fix: fix)
            }
            return .ok("directory", steps.map { "\($0.name): \($0.detail)" }.joined(separator: "; "))
        }
        guard directory.outcome == .ok else {
            return [directory, .skipped("directory clock", "not checked: the directory cannot be used")]
        }
        let clock = await timed("directory clock", fix: "check the directory's reach") {
            try await settings.withClient(logger: logger) { client in
                let root = try await client.rootDSE(attributes: ["currentTime"])
                guard let text = root.strings("currentTime").first, let time = GeneralizedTime.date(text) else {
                    return .skipped("directory clock", "this directory does not publish its time (currentTime)")
                }
                let skew = time.timeIntervalSinceNow
                let detail = String(format: "%+.0f s from this machine's", skew)
                // Kerberos, and so Active Directory, refuses more than 5 minutes.
                return abs(skew) > 120
                    ? .failed("directory clock", detail, fix: "synchronise this machine's clock with the domain (NTP)")
                    : .ok("directory clock", detail)
            }
        }
        return [directory, clock]
    }

    /// Connects to the stored SMTP server (TLS and AUTH as configured) and says goodbye without sending.
    func mailCheck(secrets: SecretBox) async -> Finding {
        let settings: SMTPSettings?
        do {
            settings = try await environment.withPool { pool in
                try await SMTPSettingsStore(database: pool, secrets: secrets, logger: environment.logger).load()
            }
        } catch {
            return .failed("smtp", "\(error)", fix: "enter the SMTP settings again (admin page or 'inboard smtp set')")
        }
        guard let settings, settings.enabled else {
            return .skipped("smtp", "no SMTP server configured or enabled: no mail is sent")
        }
        let logger = self.logger
        return await timed(
            "smtp", seconds: 25,
            fix: "start the mail server or correct the settings; 'inboard smtp test --to ADDRESS' sends a test mail"
        ) {
            let connection = try await SMTPConnection.connect(
                to: settings.server(timeout: .seconds(20)), logger: logger)
            await connection.quit()
            return .ok("smtp", "\(settings.host):\(settings.port) (\(settings.security)) accepted the connection")
        }
    }
}
