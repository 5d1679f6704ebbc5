import Crypto

/// A group's member values (each with how it names its member: `dn` or `uid`) reduced to a SHA-256 digest, so
/// a full sync can tell which groups' members changed since they were last resolved. The values are taken in
/// the order the directory gave them: a reordered list only costs that group's re-resolution (and the
/// recomputation of the mapped groups' nesting that any changed group brings).
struct MemberDigest {
    private var hash = SHA256()
    /// Values are gathered and hashed 64 KiB at a time rather than with a call each.
    private var pending: [UInt8] = []

    mutating func add(_ value: String, kind: String) {
        // Neither part can hold a NUL byte (StorableValues drops such values), so NUL separates them unambiguously.
        pending.append(contentsOf: kind.utf8)
        pending.append(0)
        pending.append(contentsOf: value.utf8)
        pending.append(0)
        if pending.count >= 1 << 16 { flush() }
    }

    mutating func finish() -> [UInt8] {
        flush()
        return Array(hash.finalize())
    }

    private mutating func flush() {
        hash.update(data: pending)
        pending.removeAll(keepingCapacity: true)
    }
}
