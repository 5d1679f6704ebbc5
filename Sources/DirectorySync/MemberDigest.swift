import Crypto

/// A group's member values (each with how it names its member: `dn` or `uid`) reduced to a SHA-256 digest, so
/// a full sync can tell which groups' members changed since they were last resolved. The values are taken in
/// the order the directory gave them: a reordered list only costs one group's re-resolution.
struct MemberDigest {
    private var hash = SHA256()

    mutating func add(_ value: String, kind: String) {
        // Neither part can hold a NUL byte (StorableValues drops such values), so NUL separates them unambiguously.
        update(with: kind)
        update(with: value)
    }

    func finish() -> [UInt8] { Array(hash.finalize()) }

    private mutating func update(with text: String) {
        var text = text
        text.withUTF8 { hash.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        withUnsafeBytes(of: UInt8(0)) { hash.update(bufferPointer: $0) }
    }
}
