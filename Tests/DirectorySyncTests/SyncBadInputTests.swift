import DirectorySync
import Foundation
import InboardTestSupport
import Testing

/// Settings that cannot work: each gives an error naming the setting, the run is recorded as failed, and
/// nothing synced before changes.
@Suite struct SyncBadInputTests {
    func expectFailedRun(
        _ change: @Sendable (inout DirectorySettings) throws -> Void, naming setting: String, containing text: String
    ) async throws {
        try await SyncHarness.with(try Directory.sample()) { h in
            _ = try await h.sync(.full)
            let before = try await h.snapshot()
            var settings = try Directory.sample()
            try change(&settings)
            try await h.save(settings)
            do {
                let run = try await h.sync(.full)
                Issue.record("the run did not fail: \(run.summary)")
            } catch let error as SyncError {
                guard case let .directory(named, message) = error else { Issue.record("unexpected \(error)"); return }
                #expect(named == setting, "\(error)")
                #expect(message.contains(text), "\(error)")
            }
            let last = try #require(try await h.syncer.runs.recent(limit: 1).first)
            #expect(last.state == .failed && last.errors.first?.contains(setting) == true, "\(last.errors)")
            #expect(try await h.snapshot() == before)
        }
    }

    @Test func wrongBindPassword() async throws {
        try await expectFailedRun(
            { $0.bindPassword = "not-the-password" }, naming: "bindPassword", containing: "invalid credentials")
    }

    @Test func unreachableServer() async throws {
        let port = try freeTCPPort()
        try await expectFailedRun(
            { $0.servers = ["ldap://127.0.0.1:\(port)"] }, naming: "servers", containing: "cannot reach")
    }

    @Test func baseDNThatDoesNotExist() async throws {
        try await expectFailedRun(
            { $0.baseDN = ["ou=nowhere,\(try Directory.base)"] }, naming: "baseDN", containing: "does not exist")
    }

    @Test func attributeThatIsNotInTheSchema() async throws {
        try await expectFailedRun(
            { $0.attributes[.email] = .attribute("mial") }, naming: "attributes.email", containing: "'mial'")
    }

    @Test func filtersAndMappingsAreCheckedBeforeAnythingIsSaved() throws {
        var settings = try Directory.sample()
        settings.userFilter = "(&(objectClass=inetOrgPerson)(uid=alice)"
        #expect(
            throws: DirectorySettingsError(
                setting: "userFilter",
                message: "'(&(objectClass=inetOrgPerson)(uid=alice)': invalid LDAP filter at character 41: expected ')'"
            )
        ) {
            try settings.validate()
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("settings-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("directory.yaml").path
        try "servers: [ldap://127.0.0.1:3890]\nbindDN: cn=x\nbaseDN: dc=acme,dc=test\nattributes: {shoeSize: mail}\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        #expect { try DirectorySettings.load(file: file) } throws: {
            ($0 as? DirectorySettingsError)?.setting == "attributes.shoeSize"
        }
        try
            "servers: [ldap://127.0.0.1:3890]\nbindDN: cn=x\nbaseDN: dc=acme,dc=test\nattributes: {displayName: '{givenName'}\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        #expect { try DirectorySettings.load(file: file) } throws: {
            ($0 as? DirectorySettingsError)?.setting == "attributes.displayName"
        }
        try "servers: [ldap://127.0.0.1:3890]\nbindDN: cn=x\nbaseDN: dc=acme,dc=test\nbindPasswordFile: missing.txt\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        #expect { try DirectorySettings.load(file: file) } throws: {
            ($0 as? DirectorySettingsError)?.setting == "bindPasswordFile"
        }
        try
            "servers: [ldap://127.0.0.1:3890]\nbindDN: cn=x\nbaseDN: dc=acme,dc=test\nschedule: {fullEvery: sometimes}\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        #expect { try DirectorySettings.load(file: file) } throws: {
            ($0 as? DirectorySettingsError)?.setting == "schedule.fullEvery"
        }
        try "servers: [ldap://127.0.0.1:3890]\nbindDN: cn=x\nbaseDN: dc=acme,dc=test\nflavour: novell\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        #expect { try DirectorySettings.load(file: file) } throws: {
            ($0 as? DirectorySettingsError)?.setting == "flavour"
        }
    }

    @Test func thePasswordIsStoredSealedAndNeverShownOrAudited() async throws {
        try await SyncHarness.with(try Directory.sample()) { h in
            let password = try Directory.readerPassword
            #expect(
                try await h.string("SELECT value::text FROM settings WHERE key = 'directory'")?.contains(password)
                    == false)
            #expect(
                try await h.int(
                    "SELECT count(*) FROM settings WHERE key = 'directory' AND position(convert_to('\(password)', 'UTF8') IN secret) > 0"
                ) == 0)
            #expect(
                try await h.int(
                    "SELECT count(*) FROM audit_log WHERE after::text LIKE '%\(password)%' OR before::text LIKE '%\(password)%'"
                ) == 0)
            #expect(try Directory.sample().json().contains(password) == false)
            // Saving without a password keeps the stored one.
            var settings = try Directory.sample()
            settings.bindPassword = nil
            try await h.save(settings)
            #expect(try await h.sync(.full).state == .succeeded)
        }
    }
}
