import Foundation
import InboardTestSupport
import Testing

@testable import PolicyEngine

/// Damaged policy files and snapshots are errors with a place, never a crash; and whatever valid JSON
/// JSONDecoder reads as a snapshot, the build's own reader reads the same.
@Suite struct PolicyFuzzTests {
    static let policy = """
        id: paris-office
        name: Paris office
        version: {user: 1, computer: 0}
        targeting: {not: {group: "cn=it,ou=groups,dc=acme,dc=test"}}
        user:
          idleMinutesBeforeAway: 5
          statusWatchPopups: false
        computer:
          package: {version: 1.0.2, install: assigned, upgrade: required, rollout: {previousVersion: 1.0.1, rings: [{name: a, percent: 50, start: 2026-11-01T00:00:00Z}]}}
        """
    static let links = """
        containers:
          - dn: dc=acme,dc=test
            links: [{policy: paris-office, order: 1, enforced: true}]
          - {dn: "ou=Paris,dc=acme,dc=test", blockInheritance: true, links: [{policy: paris-office, order: 2}]}
        filters: {it: {group: "cn=it,ou=groups,dc=acme,dc=test"}}
        """
    static let yamlAlphabet: [Character] = Array("{}[]:,-'\"#&*!|>%@` \n\t0123456789.abcxyzé") + ["\u{0}"]

    @Test func damagedPolicyFilesAreErrorsNotCrashes() {
        var fuzz = Fuzz()
        var refused = 0
        for _ in 0..<Fuzz.iterations {
            let policy = fuzz.mutated(Self.policy, edits: Int.random(in: 1...5, using: &fuzz), from: Self.yamlAlphabet)
            let links = fuzz.mutated(Self.links, edits: Int.random(in: 0...3, using: &fuzz), from: Self.yamlAlphabet)
            let source = PolicySource(
                policies: [.init(path: "policies/paris-office.yaml", text: policy)],
                links: .init(path: "links.yaml", text: links))
            do { _ = try PolicySet.parse(source) } catch let error as PolicyError {
                refused += 1
                #expect(!error.file.isEmpty && !error.message.isEmpty, "seed \(fuzz.seed)")
            } catch {
                Issue.record("seed \(fuzz.seed): not a PolicyError: \(error)")
            }
        }
        #expect(refused > 0, "seed \(fuzz.seed): the mutations never broke a file")
    }

    @Test func theSnapshotReaderReadsWhatJSONDecoderReads() throws {
        var fuzz = Fuzz()
        let valid = #"""
            {"domain": "dc=acme,dc=test", "users": [{"name": "ann", "dn": "uid=ann,ou=Paris,dc=acme,dc=test",
             "groups": ["cn=it,ou=groups,dc=acme,dc=test"], "attributes": {"title": "Eng\u00e9"}, "site": "Paris"}],
             "computers": [{"name": "pc1", "dn": "cn=pc1,dc=acme,dc=test", "groups": []}], "containers": []}
            """#
        let alphabet: [Character] = Array(#"{}[]:,"\ u0123456789abcdef nulltruefalse"#)
        for _ in 0..<Fuzz.iterations * 3 {
            let text = fuzz.mutated(valid, edits: Int.random(in: 1...3, using: &fuzz), from: alphabet)
            let ours = try? DirectorySnapshot.parse(Data(text.utf8), file: "s.json")
            // Valid JSON (JSONSerialization checks all of it; JSONDecoder skips the contents of keys it does not
            // use) that JSONDecoder reads as a snapshot: ours must read it too, the same.
            guard (try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil,
                let theirs = try? JSONDecoder().decode(DirectorySnapshot.self, from: Data(text.utf8))
            else { continue }
            let context = "seed \(fuzz.seed): \(text)"
            let read = try #require(ours, "\(context)")
            #expect(read.domain == theirs.domain, "\(context)")
            #expect(read.users.map(\.dn) == theirs.users.map(\.dn), "\(context)")
            #expect(read.users.map(\.groups) == theirs.users.map(\.groups), "\(context)")
            #expect(read.users.map(\.attributes) == theirs.users.map(\.attributes), "\(context)")
            #expect((read.computers ?? []).map(\.name) == (theirs.computers ?? []).map(\.name), "\(context)")
        }
    }
}
