/// One search result: its DN and attribute values as bytes (binary attributes stay binary).
/// Attribute names are matched case-insensitively, as LDAP defines them (ASCII: RFC 4512's descriptions are).
///
/// Stored compactly, because a sync holds a page of a thousand of these and reads a few attributes of each:
/// every value of the entry lies in one byte buffer, found through two offset tables, instead of one array
/// per value. Values become `[UInt8]` or `String` only when asked for.
public struct LDAPEntry: Sendable {
    public let dn: String
    /// Lower-cased attribute descriptions in the order the server sent them, e.g. `member;range=0-1499`.
    public let attributeNames: [String]
    /// Value `v` is `storage[valueEnds[v - 1] ..< valueEnds[v]]` (from 0 for the first).
    private let storage: [UInt8]
    private let valueEnds: [Int32]
    /// Attribute `a` has values `firstValue[a] ..< firstValue[a + 1]` (the last ends at `valueEnds.count`).
    private let firstValue: [Int32]

    public init(dn: String, attributes: [String: [[UInt8]]]) {
        var builder = Builder()
        var merged: [String: [[UInt8]]] = [:]
        var order: [String] = []
        for (name, values) in attributes.sorted(by: { $0.key < $1.key }) {
            let lower = name.lowercased()
            if merged[lower] == nil { order.append(lower) }
            merged[lower, default: []] += values
        }
        for name in order {
            builder.beginAttribute(name)
            for value in merged[name]! { builder.appendValue(value) }
        }
        self = builder.finish(dn: dn)
    }

    fileprivate init(dn: String, attributeNames: [String], storage: [UInt8], valueEnds: [Int32], firstValue: [Int32]) {
        self.dn = dn
        self.attributeNames = attributeNames
        self.storage = storage
        self.valueEnds = valueEnds
        self.firstValue = firstValue
    }

    /// Collects an entry's values as they are decoded (the connection uses this; names must be lower-cased).
    struct Builder {
        private var names: [String] = []
        private var storage: [UInt8] = []
        private var valueEnds: [Int32] = []
        private var firstValue: [Int32] = []

        init() {}

        /// Sized like `previous`: entries of one search are alike, so the buffers rarely grow.
        init(sizedLike previous: LDAPEntry?) {
            guard let previous else { return }
            names.reserveCapacity(previous.attributeNames.count + 2)
            firstValue.reserveCapacity(previous.attributeNames.count + 2)
            storage.reserveCapacity(previous.storage.count + previous.storage.count / 4)
            valueEnds.reserveCapacity(previous.valueEnds.count + 4)
        }

        mutating func beginAttribute(_ lowercasedName: String) {
            names.append(lowercasedName)
            firstValue.append(Int32(valueEnds.count))
        }

        mutating func appendValue(_ bytes: UnsafeRawBufferPointer) {
            storage.append(contentsOf: bytes)
            valueEnds.append(Int32(storage.count))
        }

        mutating func appendValue(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { appendValue($0) }
        }

        func finish(dn: String) -> LDAPEntry {
            LDAPEntry(dn: dn, attributeNames: names, storage: storage, valueEnds: valueEnds, firstValue: firstValue)
        }
    }

    private func valueRange(ofAttributeAt index: Int) -> Range<Int> {
        Int(firstValue[index])..<(index + 1 < firstValue.count ? Int(firstValue[index + 1]) : valueEnds.count)
    }

    private func bounds(ofValue value: Int) -> Range<Int> {
        (value == 0 ? 0 : Int(valueEnds[value - 1]))..<Int(valueEnds[value])
    }

    /// Names are stored lower-cased; LDAP attribute descriptions are ASCII (RFC 4512), so they are compared
    /// ASCII-case-insensitively in place: a sync asks for a dozen attributes of each of 100,000 entries.
    private func attributeIndex(_ attribute: String) -> Int? {
        var attribute = attribute
        return attribute.withUTF8 { wanted in
            attributeNames.firstIndex { stored in
                var stored = stored
                return stored.withUTF8 { name in
                    name.count == wanted.count
                        && zip(name, wanted).allSatisfy { pair in
                            pair.0 == pair.1 || (pair.1 >= 0x41 && pair.1 <= 0x5A && pair.0 == pair.1 | 0x20)
                        }
                }
            }
        }
    }

    /// Calls `body` with the first value of `attribute` in place; nil when it has none.
    public func withFirstValue<R>(_ attribute: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows
        -> R?
    {
        guard let index = attributeIndex(attribute) else { return nil }
        let values = valueRange(ofAttributeAt: index)
        guard let first = values.first else { return nil }
        return try storage.withUnsafeBufferPointer { buffer in
            try body(UnsafeBufferPointer(rebasing: buffer[bounds(ofValue: first)]))
        }
    }

    /// Calls `body` with each value of `attribute` in place, without copying it.
    public func withValues<R>(_ attribute: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> [R] {
        guard let index = attributeIndex(attribute) else { return [] }
        return try storage.withUnsafeBufferPointer { buffer in
            try valueRange(ofAttributeAt: index).map { value in
                try body(UnsafeBufferPointer(rebasing: buffer[bounds(ofValue: value)]))
            }
        }
    }

    public func values(_ attribute: String) -> [[UInt8]] { withValues(attribute) { Array($0) } }

    public func strings(_ attribute: String) -> [String] {
        withValues(attribute) { String(decoding: $0, as: UTF8.self) }
    }

    public func string(_ attribute: String) -> String? {
        withFirstValue(attribute) { String(decoding: $0, as: UTF8.self) }
    }

    public func bytes(_ attribute: String) -> [UInt8]? { withFirstValue(attribute) { Array($0) } }

    /// Every attribute with its values, keyed by lower-cased name (copies everything: for tests and tools).
    public var attributes: [String: [[UInt8]]] {
        Dictionary(attributeNames.map { ($0, values($0)) }, uniquingKeysWith: +)
    }

    /// A ranged attribute in this entry (`member;range=0-1499`): its values and the next start, nil when complete.
    public func rangedValues(_ attribute: String) -> (values: [[UInt8]], nextStart: Int?)? {
        let prefix = attribute.lowercased() + ";range="
        guard let name = attributeNames.first(where: { $0.hasPrefix(prefix) }) else { return nil }
        let values = values(name)
        guard let range = AttributeRange(description: String(name.dropFirst(prefix.count))) else {
            return (values, nil)
        }
        return (values, range.end.map { $0 + 1 })
    }
}

/// `0-1499` or `1500-*` from an AD ranged attribute description.
struct AttributeRange: Equatable {
    let start: Int
    let end: Int?  // nil for `*`: the last chunk

    init?(description: String) {
        let parts = description.split(separator: "-", maxSplits: 1)
        guard parts.count == 2, let start = Int(parts[0]) else { return nil }
        self.start = start
        if parts[1] == "*" { end = nil } else if let end = Int(parts[1]) { self.end = end } else { return nil }
    }
}
