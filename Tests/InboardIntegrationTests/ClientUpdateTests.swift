import Foundation
import InboardTestSupport
import Testing

/// `inboard-client update` against a real server: a ring moves the client to the next version, a halt brings
/// it back, a download whose digest is not the manifest's is refused, and a version newer than the server is
/// not installed.
struct ClientUpdateTests {
    static func policy(version: String, halted: Bool) -> String {
        """
        id: client-rollout
        name: Client rollout
        user:
          package:
            version: \(version)
            install: assigned
            upgrade: required
            rollout:
              previousVersion: 1.0.1
              halted: \(halted)
              rings:
                - {name: everyone, percent: 100, start: 2026-01-01T00:00:00Z}
        """
    }

    /// A server on its own cluster with the sample directory synced, a policy folder and a package folder
    /// holding 1.0.1–1.0.3 of the real client (each marked with its version at its end), and Bob logged in.
    struct Rig {
        let folder: String
        let install: String
        let bob: ClientCommandTests.Client
        let setup: ServerOnOwnCluster

        var policyFile: String { folder + "/policy/policies/client-rollout.yaml" }

        /// Links client-rollout at the domain (and session, when the test wrote that policy: settings that stay
        /// in scope when client-rollout leaves it).
        func link(enabled: Bool = true) throws {
            let session =
                FileManager.default.fileExists(atPath: folder + "/policy/policies/session.yaml")
                ? ", {policy: session, order: 2}" : ""
            try
                "containers:\n  - {dn: \"dc=acme,dc=test\", links: [{policy: client-rollout, order: 1, enabled: \(enabled)}\(session)]}\nfilters: {}\n"
                .write(toFile: folder + "/policy/links.yaml", atomically: true, encoding: .utf8)
        }

        func run(_ arguments: [String]) async throws -> (status: Int32, output: String, error: String) {
            try await bob.run(arguments, extra: ["INBOARD_CLIENT_INSTALL_DIR": install])
        }

        func current() -> String? {
            try? FileManager.default.destinationOfSymbolicLink(atPath: install + "/current")
        }

        func installedMarker() -> String? {
            (try? Data(contentsOf: URL(fileURLWithPath: install + "/current/inboard-client")))
                .map { String(decoding: $0.suffix(13), as: UTF8.self) }
        }

        static func with(_ body: (Rig) async throws -> Void) async throws {
            try await ServerOnOwnCluster.with(admins: 1, patient: true) { setup in
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("update-\(UUID())").path
                let (policyDir, packages) = (folder + "/policy", folder + "/packages")
                for path in [policyDir + "/policies", packages] {
                    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                }
                defer { try? FileManager.default.removeItem(atPath: folder) }
                let binary = try Data(contentsOf: URL(fileURLWithPath: try inboardClientBinary()))
                for version in ["1.0.1", "1.0.2", "1.0.3"] {
                    try (binary + Data("\nversion-\(version)".utf8)).write(
                        to: URL(fileURLWithPath: "\(packages)/inboard-client-\(version)-\(try await platform())"))
                }
                setup.extraEnvironment = ["INBOARD_POLICY_DIR": policyDir, "INBOARD_CLIENT_PACKAGE_DIR": packages]
                let (directory, _) = try writeServiceSettings(in: folder)
                #expect(
                    try await runInboard(["directory", "set", "--file", directory], environment: setup.environment)
                        .status == 0)
                #expect(try await runInboard(["sync", "--full"], environment: setup.environment).status == 0)
                let rig = Rig(
                    folder: folder, install: folder + "/install",
                    bob: ClientCommandTests.Client(folder: folder + "/bob", server: "http://127.0.0.1:\(setup.port)/"),
                    setup: setup)
                try rig.link()
                try ClientUpdateTests.policy(version: "1.0.2", halted: false).write(
                    toFile: rig.policyFile, atomically: true, encoding: .utf8)
                try await setup.startReadyServer()
                let password = folder + "/password"
                try "\(try TestEnvironment.require("INBOARD_TEST_SAMPLE_PASSWORD"))\n".write(
                    toFile: password, atomically: true, encoding: .utf8)
                #expect(try await rig.run(["login", "--username", "bob", "--password-file", password]).status == 0)
                try await body(rig)
            }
        }

        static func platform() async throws -> String {
            "linux-"
                + (try await runProgram("/usr/bin/uname", ["-m"]).output.trimmingCharacters(
                    in: .whitespacesAndNewlines))
        }
    }

    @Test(.timeLimit(.minutes(10)))  // guards a hang only: a loaded machine takes minutes
    func aRingMovesTheClientAndAHaltBringsItBack() async throws {
        try await Rig.with { rig in
            let (install, packages) = (rig.install, rig.folder + "/packages")
            let binary = try Data(contentsOf: URL(fileURLWithPath: try inboardClientBinary()))
            let platform = try await Rig.platform()
            func assign(_ version: String, halted: Bool = false) throws {
                try ClientUpdateTests.policy(version: version, halted: halted).write(
                    toFile: rig.policyFile, atomically: true, encoding: .utf8)
            }
            let (run, current, installedMarker) = (rig.run, rig.current, rig.installedMarker)

            let check = try await run(["update", "--check"])
            #expect(check.output.contains("1.0.2 assigned (ring everyone); installed: none"), "\(check)")
            let first = try await run(["update"])
            #expect(first.status == 0 && first.output.contains("installed 1.0.2"), "\(first)")
            #expect(current() == "versions/1.0.2" && installedMarker() == "version-1.0.2")
            let runs = try await runProgram(install + "/current/inboard-client", ["--version"])
            #expect(runs.status == 0, "the installed client does not run: \(runs)")

            // The ring is halted: back to the previous version; the newer one is kept.
            try assign("1.0.2", halted: true)
            let halted = try await run(["update"])
            #expect(
                halted.status == 0 && halted.output.contains("installed 1.0.1 (was 1.0.2, ring halted)"), "\(halted)")
            #expect(current() == "versions/1.0.1" && installedMarker() == "version-1.0.1")
            #expect(FileManager.default.fileExists(atPath: install + "/versions/1.0.2/inboard-client"))
            // Resumed: the kept version comes back without a download.
            try assign("1.0.2")
            let resumed = try await run(["update"])
            #expect(resumed.output.contains("switched back to the kept 1.0.2"), "\(resumed)")
            // A kept copy altered on disk is not trusted: it is fetched again and checked.
            try assign("1.0.2", halted: true)
            #expect(try await run(["update"]).output.contains("switched back to the kept 1.0.1"))
            let keptCopy = try #require(FileHandle(forWritingAtPath: install + "/versions/1.0.2/inboard-client"))
            try keptCopy.seekToEnd()
            try keptCopy.write(contentsOf: Data("altered".utf8))
            try keptCopy.close()
            try assign("1.0.2")
            let refetched = try await run(["update"])
            #expect(refetched.output.contains("replaced the altered kept copy of 1.0.2"), "\(refetched)")
            #expect(current() == "versions/1.0.2" && installedMarker() == "version-1.0.2")

            // 1.0.3's file changes under the server after it told its digest: the download is refused.
            try assign("1.0.3")
            #expect(try await run(["update", "--check"]).output.contains("1.0.3 assigned"))
            // Changed in place, same size, its modification time put back to the nanosecond (as a careless copy
            // or a disk fault might leave it): the server's digest, cached by size and time, is now wrong.
            let tampered = "\(packages)/inboard-client-1.0.3-\(platform)"
            let stamp = try await runProgram("/usr/bin/stat", ["-c", "%y", tampered]).output
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let handle = try #require(FileHandle(forWritingAtPath: tampered))
            try handle.seek(toOffset: UInt64(binary.count + "\nversion-1.0.".utf8.count))
            try handle.write(contentsOf: Data("X".utf8))
            try handle.close()
            #expect(try await runProgram("/usr/bin/touch", ["-m", "-d", stamp, tampered]).status == 0)
            let refused = try await run(["update"])
            #expect(refused.status == 1 && refused.error.contains("SHA-256"), "\(refused)")
            #expect(
                current() == "versions/1.0.2" && !FileManager.default.fileExists(atPath: install + "/versions/1.0.3"))

            // A version newer (major.minor) than the server is not installed: the server goes first.
            try assign("1.1.0")
            let newer = try await run(["update"])
            #expect(newer.status == 5 && newer.error.contains("upgrade the server"), "\(newer)")
            #expect(current() == "versions/1.0.2")
        }
    }

    static func package(
        version: String = "1.0.2", install: String, upgrade: String = "required", uninstall: Bool
    ) -> String {
        """
        id: client-rollout
        name: Client rollout
        user:
          package: {version: \(version), install: \(install), upgrade: \(upgrade), uninstallWhenOutOfScope: \(uninstall)}
        """
    }

    /// Group Policy's software installation: an assigned package is installed by the agent at logon, a
    /// published one only offered; out of scope, the installed version goes only when its policy asked for it,
    /// and the session's autostart entry goes back to the client it ran before; an optional upgrade is offered.
    @Test(.timeLimit(.minutes(10)))  // guards a hang only: a loaded machine takes minutes
    func theAgentInstallsWhatIsAssignedOffersWhatIsOptionalAndRemovesOnlyWhenAsked() async throws {
        try await Rig.with { rig in
            func assign(install: String, uninstall: Bool) throws {
                try Self.package(install: install, uninstall: uninstall).write(
                    toFile: rig.policyFile, atomically: true, encoding: .utf8)
            }
            let system = (try inboardClientBinary() as NSString).resolvingSymlinksInPath
            let installedCopy = rig.install + "/current/inboard-client"
            /// The agent started by a logon (with `program`), stopped once it said `text`.
            func logon(running program: String? = nil, until text: String) async throws -> String {
                let log = rig.folder + "/agent-\(UUID()).log"
                let agent = try rig.bob.start(
                    ["agent", "--idle-source", "/dev/null"], logFile: log,
                    extra: ["INBOARD_CLIENT_INSTALL_DIR": rig.install], executable: program)
                let said = try await ClientCommandTests.wait(for: text, in: log)
                agent.signal(SIGTERM)
                _ = await agent.exit()
                let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                #expect(said, "the agent did not say '\(text)': \(output)")
                return output
            }
            let autostart = rig.bob.folder + "/.config/autostart/inboard-client.desktop"
            func autostartRuns() -> String? {
                let entry = (try? String(contentsOfFile: autostart, encoding: .utf8)) ?? ""
                return entry.split(separator: "\n").first { $0.hasPrefix("Exec=") }.map {
                    String($0.dropFirst("Exec=\"".count).dropLast("\" agent".count))
                }
            }

            try "id: session\nname: Session\nuser:\n  autoStart: true\n".write(
                toFile: rig.folder + "/policy/policies/session.yaml", atomically: true, encoding: .utf8)
            try assign(install: "published", uninstall: true)
            try rig.link()
            _ = try await logon(until: "1.0.2 offered (ring all); installed: none: 'inboard-client update' installs it")
            #expect(rig.current() == nil, "a published package was installed without being asked for")
            try assign(install: "assigned", uninstall: true)
            _ = try await logon(until: "update: installed 1.0.2")
            #expect(rig.current() == "versions/1.0.2" && rig.installedMarker() == "version-1.0.2")
            // The next logon starts the installed copy, which points the session at itself.
            _ = try await logon(running: installedCopy, until: "autostart entry written")
            #expect(autostartRuns() == installedCopy)

            // Out of scope (the link disabled): `update --check` says what the next logon does, and the installed
            // copy removes itself, pointing the session back at the client that installed it.
            try rig.link(enabled: false)
            let check = try await rig.run(["update", "--check"])
            #expect(
                check.output.contains("no longer assigned to you and client-rollout asked for its removal"), "\(check)")
            #expect(rig.current() == "versions/1.0.2", "--check changed something")
            let removal = try await logon(running: installedCopy, until: "uninstalled 1.0.2")
            #expect(removal.contains("the session now starts \(system)"), "\(removal)")
            #expect(rig.current() == nil && !FileManager.default.fileExists(atPath: rig.install + "/versions"))
            #expect(autostartRuns() == system, "the session would start a removed program")
            #expect(try await rig.run(["update"]).output.contains("up to date: nothing installed"))

            // Installed again, its policy not asking for removal: out of scope, it stays.
            try assign(install: "assigned", uninstall: false)
            try rig.link()
            #expect(try await rig.run(["update"]).output.contains("installed 1.0.2"))
            try rig.link(enabled: false)
            let kept = try await rig.run(["update"])
            #expect(kept.status == 0 && kept.output.contains("it stays, as client-rollout did not ask"), "\(kept)")
            #expect(rig.current() == "versions/1.0.2")
            // A published policy asking for removal, offered but never installed, does not make 1.0.2 its own.
            try assign(install: "published", uninstall: true)
            try rig.link()
            #expect(try await rig.run(["update", "--check"]).output.contains("up to date: 1.0.2"))
            try rig.link(enabled: false)
            #expect(try await rig.run(["update"]).output.contains("it stays"))
            #expect(rig.current() == "versions/1.0.2")

            // A newer version its policy does not require (Group Policy's "Required upgrade for existing packages"
            // left clear) is offered at logon over the installed one, not forced; a required one is installed.
            try Self.package(version: "1.0.3", install: "assigned", upgrade: "optional", uninstall: false).write(
                toFile: rig.policyFile, atomically: true, encoding: .utf8)
            try rig.link()
            _ = try await logon(
                until: "1.0.3 offered as an optional upgrade (ring all); installed: 1.0.2: 'inboard-client update'")
            #expect(rig.current() == "versions/1.0.2", "an optional upgrade was forced")
            #expect(try await rig.run(["update"]).output.contains("installed 1.0.3"), "update installs it")
            // Going back is never optional; a required upgrade is installed at logon.
            try Self.package(version: "1.0.2", install: "assigned", upgrade: "optional", uninstall: false).write(
                toFile: rig.policyFile, atomically: true, encoding: .utf8)
            _ = try await logon(until: "update: switched back to the kept 1.0.2")
            try Self.package(version: "1.0.3", install: "assigned", uninstall: false).write(
                toFile: rig.policyFile, atomically: true, encoding: .utf8)
            _ = try await logon(until: "update: switched back to the kept 1.0.3")
            #expect(rig.current() == "versions/1.0.3")
        }
    }
}
