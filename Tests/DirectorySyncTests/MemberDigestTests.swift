import Crypto
import Testing

@testable import DirectorySync

/// The digest that tells a full sync whether a group's members changed: equal only for the same values, kinds
/// and order, whatever way the values are split across the buffer it hashes.
struct MemberDigestTests {
    static func digest(_ members: [(String, String)]) -> [UInt8] {
        var digest = MemberDigest()
        for (value, kind) in members { digest.add(value, kind: kind) }
        return digest.finish()
    }

    @Test func equalOnlyForTheSameValuesKindsAndOrder() {
        let base = [("uid=a,dc=x", "dn"), ("uid=b,dc=x", "dn"), ("carol", "uid")]
        #expect(Self.digest(base) == Self.digest(base))
        #expect(Self.digest(base) != Self.digest([base[1], base[0], base[2]]), "order")
        #expect(Self.digest(base) != Self.digest([base[0], base[1], ("carol", "dn")]), "kind")
        #expect(Self.digest(base) != Self.digest(Array(base.dropLast())), "a member fewer")
        #expect(Self.digest([]) != Self.digest([("", "dn")]), "an empty value is a member")
        // Each value is paired with its kind, so no way of splitting the same bytes differently collides.
        #expect(Self.digest([("a", "dn"), ("uid", "dn")]) != Self.digest([("a", "dn")] + [("", "uid")]))
        #expect(Self.digest([("ab", "dn")]) != Self.digest([("a", "dn"), ("b", "dn")]))
    }

    /// Large groups cross the 64 KiB buffer many times: the result is SHA-256 of the same bytes in one piece.
    @Test func aLargeGroupHashesTheSameBytesAsOneBuffer() {
        let members = (0..<20_000).map { ("uid=user\($0),ou=people,dc=acme,dc=test", $0 % 3 == 0 ? "uid" : "dn") }
        var bytes: [UInt8] = []
        for (value, kind) in members { bytes += Array(kind.utf8) + [0] + Array(value.utf8) + [0] }
        #expect(Self.digest(members) == Array(SHA256.hash(data: bytes)))
    }
}
