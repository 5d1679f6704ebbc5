import Foundation
import Testing
@testable import PolicyEngine

/// The snapshot's own JSON reader reads what JSONDecoder reads, and says where a damaged file goes wrong.
@Suite struct SnapshotReaderTests {
    func read(_ text: String) throws -> DirectorySnapshot {
        try DirectorySnapshot.parse(Data(text.utf8), file: "snapshot.json")
    }

    func failure(_ text: String) -> PolicyError? {
        do {
            _ = try read(text)
            return nil
        } catch { return error as? PolicyError }
    }

    @Test func readsWhatJSONDecoderReads() throws {
        let text = #"""
            {"version": 3, "domain": "dc=acme,dc=test", "extra": {"a": [1, 2.5e3, true, false, null, "x"]},
             "users": [
               {"name": "amélie", "dn": "cn=Am\u00e9lie \"Q\",ou=Paris\\, FR,dc=acme,dc=test",
                "groups": ["cn=staff,dc=acme,dc=test", "cn=\ud83d\ude00 fans,dc=acme,dc=test"],
                "attributes": {"title": "Engineer\n\t/", "l": "Paris"}, "site": "Paris", "unknown": {},
                "id": "5c1b7d2e-0a4f-4e39-8d6b-2f1e3c4d5a6b"},
               {"name": "bob", "dn": "cn=Bob,dc=acme,dc=test", "groups": [], "attributes": null, "site": null}
             ],
             "computers": null, "containers": ["ou=empty,dc=acme,dc=test"]}
            """#
        let ours = try read(text)
        let foundation = try JSONDecoder().decode(DirectorySnapshot.self, from: Data(text.utf8))
        #expect(ours.domain == foundation.domain)
        #expect(ours.computers == nil && foundation.computers == nil)
        #expect(ours.containers == foundation.containers)
        #expect(ours.users.count == 2)
        for (a, b) in zip(ours.users, foundation.users) {
            #expect(a.name == b.name)
            #expect(a.dn == b.dn)
            #expect(a.groups == b.groups)
            #expect(a.attributes == b.attributes)
            #expect(a.site == b.site)
            #expect(a.id == b.id)
        }
        #expect(ours.users[0].id == "5c1b7d2e-0a4f-4e39-8d6b-2f1e3c4d5a6b" && ours.users[1].id == nil)
        #expect(ours.users[0].dn == #"cn=Amélie "Q",ou=Paris\, FR,dc=acme,dc=test"#)
        #expect(ours.users[0].groups[1] == "cn=😀 fans,dc=acme,dc=test")
    }

    @Test func aDamagedFileSaysWhereAndWhat() {
        let missingComma = failure("{\"domain\": \"dc=a\",\n \"users\": [{\"name\": \"x\" \"dn\": \"cn=x\"}]}")
        #expect(missingComma?.file == "snapshot.json")
        #expect(missingComma?.line == 2)
        #expect(missingComma?.message.contains("expected ',' or '}'") == true)
        #expect(failure(#"{"users": []}"#)?.message.contains("no \"domain\"") == true)
        #expect(
            failure(#"{"domain": "d", "users": [{"name": "x"}]}"#)?.message.contains("needs \"name\", \"dn\"") == true)
        #expect(failure(#"{"domain": "d", "users": []} trailing"#)?.message.contains("text after") == true)
        #expect(failure(#"{"domain": "d", "users": [], "x": "\ud800"}"#)?.message.contains("surrogate") == true)
        #expect(failure(#"{"domain": "d\q", "users": []}"#)?.message.contains("unknown escape") == true)
        #expect(failure(#"{"domain": "d", "users": [{"name": "x", "dn": "cn=x", "groups": [1]}]}"#) != nil)
        #expect(failure("{\"domain\": \"d\u{1}\", \"users\": []}")?.message.contains("control character") == true)
        #expect(failure(#"{"domain": "d", "users": ["#)?.message.contains("ends too soon") == true)
    }

    @Test func hostileOrForeignTextIsAnErrorNotACrash() {
        let deep = "{\"domain\": \"d\", \"users\": [], \"x\": " + String(repeating: "[", count: 200_000) + "}"
        #expect(failure(deep)?.message.contains("nested too deep") == true)
        var latin1 = Data(#"{"domain": "dc=acme", "users": [{"name": "m"#.utf8)
        latin1.append(0xFC)  // ü in Latin-1
        latin1.append(contentsOf: Data(#"ller", "dn": "cn=x", "groups": []}]}"#.utf8))
        #expect(throws: PolicyError.self) { try DirectorySnapshot.parse(latin1, file: "snapshot.json") }
        #expect(failure(#"{"domain": "\u+041", "users": []}"#)?.message.contains("bad \\u escape") == true)
        #expect(failure(#"{"domain": "d", "users": [], "n": 1.2.3}"#)?.message.contains("expected a value") == true)
    }

    @Test func repeatedGroupsShareOneString() throws {
        let snapshot = try read(
            #"{"domain": "d", "users": [{"name": "a", "dn": "cn=a", "groups": ["cn=a long group name,ou=groups,dc=acme"]},"#
                + #"{"name": "b", "dn": "cn=b", "groups": ["cn=a long group name,ou=groups,dc=acme"]}]}"#)
        let first = snapshot.users[0].groups[0], second = snapshot.users[1].groups[0]
        let same = first.utf8.withContiguousStorageIfAvailable { a in
            second.utf8.withContiguousStorageIfAvailable { b in a.baseAddress == b.baseAddress }
        }
        #expect(same == true, "one storage for a group DN that 40,000 people share")
    }
}
