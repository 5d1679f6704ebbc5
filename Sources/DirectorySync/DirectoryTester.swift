import Foundation
import LDAPKit
import Logging

/// "Test connection" and "Test login" for the admin: each step's outcome in words, stopping at the first
/// failure, which names the setting to fix.
public struct DirectoryTester: Sendable {
    public struct Step: Sendable, Codable, Equatable {
        public let name: String
        public let ok: Bool
        public let detail: String
    }

    let settings: DirectorySettings
    let logger: Logger

    public init(settings: DirectorySettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    public func run(login: (username: String, password: String)? = nil) async -> [Step] {
        await report(login: login).steps
    }

    /// What a test login meets on its way: the steps, whether the login was tried (the connection steps
    /// passed), and the error it failed with. `beforeBind` is `DirectoryAuthenticator.authenticate`'s: it sees the
    /// entry the name led to before the password is sent.
    public struct Report: Sendable {
        public var steps: [Step] = []
        public var loginTried = false
        public var loginError: (any Error)?
    }

    public func report(
        login: (username: String, password: String)?,
        beforeBind: @Sendable (LDAPEntry) async throws -> Bool = { _ in false }
    ) async -> Report {
        var report = Report()
        do {
            try settings.validate()
            let servers = try await settings.resolveServers()
            report.steps.append(
                Step(name: "servers", ok: true, detail: servers.map(\.description).joined(separator: ", ")))
            if let warning = settings.cleartextWarning(for: servers) {
                report.steps.append(Step(name: "transport", ok: true, detail: warning))
            }
            try await settings.withClient(logger: logger) { client in
                do {
                    let root = try await client.rootDSE(attributes: ["namingContexts", "vendorName", "dnsHostName"])
                    let server = await client.preferredServers().first?.description ?? "?"
                    let transport =
                        settings.tls == .none && !server.hasPrefix("ldaps")
                        ? "no TLS" : "TLS verified\(settings.insecureSkipVerify ? " NOT (insecureSkipVerify)" : "")"
                    report.steps.append(
                        Step(
                            name: "bind", ok: true,
                            detail:
                                "bound as \(settings.bindDN) on \(server) (\(transport)); naming contexts: \(root.strings("namingContexts").joined(separator: "; "))"
                        ))
                    try await DirectorySchemaCheck(settings: settings).run(client: client)
                    report.steps.append(Step(name: "schema", ok: true, detail: "every mapped attribute exists"))
                    let users = try await count(
                        client, bases: settings.baseDN, filter: settings.userFilter, setting: ("baseDN", "userFilter"))
                    report.steps.append(
                        Step(
                            name: "users", ok: users > 0,
                            detail: "\(users) entries match the user filter \(settings.userFilter)"))
                    let groups = try await count(
                        client, bases: settings.groupBaseDN, filter: settings.groupFilter,
                        setting: ("groupBaseDN", "groupFilter"))
                    report.steps.append(
                        Step(
                            name: "groups", ok: true,
                            detail: "\(groups) entries match the group filter \(settings.groupFilter)"))
                    report.steps.append(try await lockoutStep(client))
                } catch {
                    throw SyncError.explaining(error)
                }
                if let login {
                    report.loginTried = true
                    do {
                        let entry = try await DirectoryAuthenticator(settings: settings, client: client).authenticate(
                            login.username, password: login.password, beforeBind: beforeBind)
                        report.steps.append(
                            Step(
                                name: "login", ok: true,
                                detail: "\(login.username) found as \(entry.dn); password accepted"))
                    } catch let error as LDAPError {
                        report.loginError = error
                        report.steps.append(
                            Step(name: "login", ok: false, detail: error.adFailure?.message ?? "\(error)"))
                    } catch {
                        report.loginError = error
                        report.steps.append(Step(name: "login", ok: false, detail: "\(error)"))
                    }
                }
            }
        } catch {
            report.steps.append(Step(name: "error", ok: false, detail: "\(error)"))
        }
        return report
    }

    /// The directory's lockout policy and Inboard's share of it; in Active Directory also whether the service
    /// account sees the failures an account holds (`badPwdCount`: a global catalog does not hold it).
    private func lockoutStep(_ client: LDAPClient) async throws -> Step {
        let lockout = DirectoryLockoutGuard(client: client, flavour: settings.flavour, logger: logger)
        let policy = try await lockout.describeDefaultPolicy()
        guard settings.flavour == .activeDirectory, let base = settings.baseDN.first else {
            return Step(name: "lockout", ok: true, detail: policy)
        }
        var sample: LDAPEntry?
        for try await entry in client.search(
            base: base, filter: .raw(settings.userFilter), attributes: ["badPwdCount"], pageSize: 1)
        {
            sample = entry
            break
        }
        guard let sample, sample.string("badPwdCount") == nil else {
            return Step(name: "lockout", ok: true, detail: policy)
        }
        return Step(
            name: "lockout", ok: false,
            detail:
                "\(policy); but the service account cannot read badPwdCount on \(sample.dn) (or the server is a global catalog): Inboard cannot see how near an account is to the lockout; grant it read of badPwdCount and badPasswordTime"
        )
    }

    private func count(_ client: LDAPClient, bases: [String], filter: String, setting: (String, String)) async throws
        -> Int
    {
        var total = 0
        for base in bases {
            do {
                for try await _ in client.search(base: base, filter: .raw(filter), attributes: ["1.1"]) { total += 1 }
            } catch {
                throw SyncError.explaining(error, searching: setting)
            }
        }
        return total
    }
}
