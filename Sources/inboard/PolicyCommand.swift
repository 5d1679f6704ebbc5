import ArgumentParser
import DirectorySync
import Foundation
import InboardCore
import InboardStore
import PolicyEngine
import PolicyFiles

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Evaluate policy/ with Group Policy's rules: validate, build manifests, explain, model, diff.",
        discussion:
            "See policy/README.md for the file format and the rules. Users come from the database (synced people) unless --directory names a snapshot file (JSON with domain, users and computers, or LDIF).",
        subcommands: [Validate.self, Build.self, Explain.self, WhatIf.self, Diff.self])

    struct Inputs: ParsableArguments {
        @Option(help: "The policy folder (policies/*.yaml and links.yaml).") var policyDir = "policy"
        @Option(help: "A directory snapshot (JSON or LDIF) to evaluate against instead of the database.") var directory:
            String?
        @Option(help: "Evaluate rings as of this time (ISO 8601; default now).") var asOf: String?

        func date() throws -> Date {
            guard let asOf else { return Date() }
            guard let date = ISO8601DateFormatter().date(from: asOf) else {
                throw CommandFailure(message: "--as-of '\(asOf)' is not a time such as 2026-11-25T12:00:00Z")
            }
            return date
        }

        /// The policy set, validated against the directory and this server's version.
        func load() async throws -> (PolicySet, DirectorySnapshot) {
            let set: PolicySet
            do { set = try PolicySet.load(folder: policyDir) } catch let error as PolicyError {
                throw CommandFailure(message: error.description)
            }
            let snapshot: DirectorySnapshot
            if let directory {
                do { snapshot = try DirectorySnapshot.load(file: directory) } catch let error as PolicyError {
                    throw CommandFailure(message: error.description)
                }
            } else {
                let environment = try CommandEnvironment.load()
                let secrets = try environment.secrets()
                snapshot = try await environment.reporting {
                    try await environment.requireCurrentSchema()
                    return try await environment.withPool { pool in
                        let syncer = DirectorySyncer(
                            database: environment.database, pool: pool, secrets: secrets, logger: environment.logger)
                        guard let settings = try await syncer.storedSettings() else {
                            throw CommandFailure(
                                message:
                                    "no directory settings yet: run 'inboard directory set', or give --directory FILE")
                        }
                        guard let domain = PolicyTargets.domain(of: settings) else {
                            throw CommandFailure(message: "the directory settings have no base DN with dc= parts")
                        }
                        return try await PolicyTargets(database: pool, logger: environment.logger).load(
                            .active, domain: domain)
                    }
                }
            }
            do {
                try set.validate(
                    against: snapshot, serverVersion: InboardVersion.current.description, folder: policyDir)
            } catch let error as PolicyError {
                throw CommandFailure(message: error.description)
            }
            return (set, snapshot)
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every file; errors name file:line:column and the rule broken.",
            discussion: """
                Needs no server settings and no database: the files alone are checked (YAML, the schema, links to \
                known policies, filters, versions). With --directory FILE or --synced, every linked container must \
                also exist in that directory.
                """)
        @OptionGroup var inputs: Inputs
        @Flag(help: "Also check the links against the people synced into the database (needs the server's settings).")
        var synced = false

        func run() async throws {
            let links = { (set: PolicySet) in set.links.containers.reduce(0) { $0 + ($1.links?.count ?? 0) } }
            guard inputs.directory != nil || synced else {
                let set: PolicySet
                do {
                    set = try PolicySet.load(folder: inputs.policyDir)
                    try set.validate(
                        against: nil, serverVersion: InboardVersion.current.description, folder: inputs.policyDir)
                } catch let error as PolicyError {
                    throw CommandFailure(message: error.description)
                }
                print(
                    "policy set \(set.version): \(set.policies.count) policies, \(links(set)) links: valid "
                        + "(the linked containers were not checked: give --directory FILE or --synced)")
                return
            }
            let (set, snapshot) = try await inputs.load()
            print(
                "policy set \(set.version): \(set.policies.count) policies, \(links(set)) links, \(snapshot.users.count) users and \(snapshot.computers?.count ?? 0) computers: valid"
            )
        }
    }

    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Write each distinct manifest once, an index of every user and computer, and ClientInstall.ini per ring, atomically.",
            discussion: """
                OUT/manifests/DIGEST.json holds each distinct manifest once (named by its SHA-256, so it never \
                changes); OUT/users/XX.json and OUT/computers/XX.json map each name (by a hash, 64 shards) to its DN \
                and manifest digest; OUT/client-install/POLICY/RING/ClientInstall.ini; OUT/index.json. A rebuild \
                keeps unchanged files by hard link and the whole folder is replaced at once.
                """)
        @OptionGroup var inputs: Inputs
        @Option(help: "The output folder (replaced as a whole when the build succeeds).") var out: String
        func run() async throws {
            let clock = ContinuousClock()
            var marks = [clock.now]
            let (set, snapshot) = try await inputs.load()
            marks.append(clock.now)
            let builder = ManifestBuilder(set: set, directory: snapshot, asOf: try inputs.date())
            let manifests = builder.buildIndexed()
            marks.append(clock.now)
            let files: ManifestBuilder.WriteOutcome
            do { files = try builder.write(manifests, to: out) } catch { throw CommandFailure(message: "\(error)") }
            marks.append(clock.now)
            func seconds(_ a: Int, _ b: Int) -> String {
                let d = marks[b] - marks[a]
                return String(format: "%.2f", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
            }
            print(
                "policy set \(set.version): \(manifests.targets.count) targets, \(manifests.bodies.count) distinct manifests, \(files.total) files in \(out): \(files.written) written, \(files.reused) unchanged (kept)"
            )
            print(
                "read and validate \(seconds(0, 1)) s, evaluate (RSoP and manifests) \(seconds(1, 2)) s, write \(seconds(2, 3)) s, total \(seconds(0, 3)) s"
            )
        }
    }

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "The resultant set of policy for a user or computer (with both: the user on that computer, loopback included)."
        )
        @OptionGroup var inputs: Inputs
        @Option(help: "A username.") var user: String?
        @Option(help: "A computer name (snapshot only).") var computer: String?
        @Flag(help: "Print the RSoP as JSON.") var json = false

        func validate() throws {
            if user == nil && computer == nil { throw ValidationError("give --user NAME, --computer NAME or both") }
        }

        func run() async throws {
            let (set, snapshot) = try await inputs.load()
            let evaluator = PolicyEvaluator(set: set, domain: snapshot.domain)
            let userTarget = try user.map { name in try find(name, in: snapshot.users, kind: "user") }
            let computerTarget = try computer.map { name in
                try find(name, in: snapshot.computers ?? [], kind: "computer")
            }
            let rsop: RSoP
            switch (userTarget, computerTarget) {
            case let (user?, computer?): rsop = evaluator.evaluate(user: user, on: computer)
            case let (user?, nil): rsop = evaluator.evaluate(user, kind: .user)
            case let (nil, computer?): rsop = evaluator.evaluate(computer, kind: .computer)
            default: return
            }
            // The RSoP is the user's when a user is named (on a computer too): their groups and id pick their ring.
            let target = (userTarget ?? computerTarget)!
            let manifest = ManifestBuilder(set: set, directory: snapshot, asOf: try inputs.date()).manifest(
                for: rsop, target: target)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(rsop), as: UTF8.self))
            } else {
                print(RSoPReport.text(rsop, manifest: manifest))
            }
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "What changes for whom between two policy folders (--policy-dir, the current one, and --against, the other)."
        )
        @OptionGroup var inputs: Inputs
        @Option(help: "The policy folder to compare with (for example a git checkout of the deployed set).")
        var against: String
        func run() async throws {
            let (after, snapshot) = try await inputs.load()
            var other = inputs
            other.policyDir = against
            let (before, _) = try await other.load()
            let date = try inputs.date()
            let old = ManifestBuilder(set: before, directory: snapshot, asOf: date).build(),
                new = ManifestBuilder(set: after, directory: snapshot, asOf: date).build()
            var changed = 0
            for (a, b) in zip(old, new) {
                let lines = RSoPReport.differences(a, b)
                guard !lines.isEmpty else { continue }
                changed += 1
                print("\(b.kind.rawValue) \(b.name):")
                for line in lines { print("  \(line)") }
            }
            print("\(changed) of \(new.count) targets change (\(before.version) → \(after.version))")
        }
    }
}

func find(_ name: String, in targets: [DirectorySnapshot.Target], kind: String) throws -> DirectorySnapshot.Target {
    guard let target = targets.first(where: { $0.name.lowercased() == name.lowercased() }) else {
        throw CommandFailure(message: "no \(kind) named '\(name)' in the directory")
    }
    return target
}

/// RSoP as `gpresult` would print it.
enum RSoPReport {
    static func text(_ rsop: RSoP, manifest: Manifest) -> String {
        var lines = ["RSoP for \(rsop.kind.rawValue) \(rsop.name) (\(rsop.dn))", "", "Settings:"]
        for key in rsop.settings.keys.sorted() {
            let result = rsop.settings[key]!
            lines.append(
                "  \(key) = \(result.value)    from \(result.policy) linked at \(result.container)\(result.enforced ? " (enforced)" : "")"
            )
            for loser in result.losers {
                lines.append(
                    "      lost: \(loser.policy) at \(loser.container) wanted \(loser.value) (lower precedence)")
            }
        }
        if rsop.settings.isEmpty { lines.append("  (none)") }
        if let package = manifest.package {
            lines += [
                "",
                "Client package: \(package.version) (\(package.install.rawValue), \(package.upgrade.rawValue) upgrade), ring \(package.ring), from \(package.policy) at \(package.container)",
            ]
        }
        lines += ["", "Links, in processing order (the last applied wins):"]
        for link in rsop.links {
            lines.append(
                "  \(link.policy) at \(link.container), order \(link.order)\(link.enforced ? ", enforced" : ""): \(link.outcome.rawValue)"
            )
        }
        return lines.joined(separator: "\n")
    }

    static func differences(_ a: Manifest, _ b: Manifest) -> [String] {
        var lines: [String] = []
        for key in Set(a.settings.keys).union(b.settings.keys).sorted() where a.settings[key] != b.settings[key] {
            lines.append(
                "\(key): \(a.settings[key]?.description ?? "(unset)") → \(b.settings[key]?.description ?? "(unset)")")
        }
        if a.package?.version != b.package?.version || a.package?.ring != b.package?.ring {
            lines.append(
                "client: \(a.package.map { "\($0.version) (\($0.ring))" } ?? "none") → \(b.package.map { "\($0.version) (\($0.ring))" } ?? "none")"
            )
        }
        return lines
    }
}
