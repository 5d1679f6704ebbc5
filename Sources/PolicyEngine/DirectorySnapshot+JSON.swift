import Foundation

extension DirectorySnapshot {
    /// Reads a JSON snapshot straight from its bytes, the same document `Codable` describes: a build reads
    /// 110,000 targets, and JSONDecoder's intermediate tree took most of the time and memory. Strings that
    /// repeat (group DNs, attribute values, sites) are stored once. Unknown keys are skipped, and a trailing comma
    /// is accepted as JSONDecoder accepted it (files that were read before still are).
    static func decodeJSON(_ data: Data, file path: String) throws -> DirectorySnapshot {
        try data.withUnsafeBytes { raw in
            var reader = SnapshotJSONReader(bytes: raw.bindMemory(to: UInt8.self))
            do {
                let snapshot = try reader.snapshot()
                try reader.end()
                return snapshot
            } catch let error as SnapshotJSONReader.Failure {
                let (line, column) = reader.place(of: error.offset)
                throw PolicyError(
                    file: path, line: line, column: column,
                    message: "not a directory snapshot (JSON with domain, users, computers): \(error.message)")
            }
        }
    }
}

/// A JSON reader for exactly the snapshot's shape; anything else is a `Failure` at a byte offset.
struct SnapshotJSONReader {
    struct Failure: Error {
        var offset: Int
        var message: String
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var offset = 0
    /// Repeated strings share one storage.
    var interned = Set<String>()

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func snapshot() throws -> DirectorySnapshot {
        var domain: String?, users: [DirectorySnapshot.Target]?, computers: [DirectorySnapshot.Target]?
        var containers: [String]?
        try object { reader, key in
            switch key {
            case "domain": domain = try reader.string()
            case "users": users = try reader.targets()
            case "computers": computers = try reader.isNull() ? nil : reader.targets()
            case "containers": containers = try reader.isNull() ? nil : reader.strings()
            default: try reader.skipValue()
            }
        }
        guard let domain else { throw Failure(offset: 0, message: "no \"domain\"") }
        guard let users else { throw Failure(offset: 0, message: "no \"users\"") }
        var snapshot = DirectorySnapshot(domain: domain, users: users, containers: containers)
        snapshot.computers = computers
        return snapshot
    }

    mutating func targets() throws -> [DirectorySnapshot.Target] {
        var targets: [DirectorySnapshot.Target] = []
        try array { reader in targets.append(try reader.target()) }
        return targets
    }

    mutating func target() throws -> DirectorySnapshot.Target {
        skipSpace()
        let start = offset
        var name: String?, dn: String?, groups: [String]?, attributes: [String: String]?, site: String?, id: String?
        try object { reader, key in
            switch key {
            case "name": name = try reader.string()
            case "dn": dn = try reader.string()
            case "groups": groups = try reader.strings(shared: true)
            case "attributes":
                guard try !reader.isNull() else { return }
                var values: [String: String] = [:]
                try reader.object { reader, key in values[reader.shared(key)] = try reader.string(shared: true) }
                attributes = values
            case "site": site = try reader.isNull() ? nil : reader.string(shared: true)
            case "id": id = try reader.isNull() ? nil : reader.string()
            default: try reader.skipValue()
            }
        }
        guard let name, let dn, let groups else {
            throw Failure(offset: start, message: "a user or computer needs \"name\", \"dn\" and \"groups\"")
        }
        return DirectorySnapshot.Target(name: name, dn: dn, groups: groups, attributes: attributes, site: site, id: id)
    }

    mutating func strings(shared: Bool = false) throws -> [String] {
        var values: [String] = []
        try array { reader in values.append(try reader.string(shared: shared)) }
        return values
    }

    mutating func shared(_ text: String) -> String { interned.insert(text).memberAfterInsert }

    // MARK: JSON syntax

    mutating func object(_ member: (inout SnapshotJSONReader, String) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        if try peek() == UInt8(ascii: "}") { offset += 1; return }
        while true {
            let key = try string()
            try expect(UInt8(ascii: ":"))
            try member(&self, key)
            if try next(oneOf: UInt8(ascii: ","), UInt8(ascii: "}")) == UInt8(ascii: "}") { return }
            if try peek() == UInt8(ascii: "}") { offset += 1; return }  // a trailing comma, as Foundation allows
        }
    }

    mutating func array(_ element: (inout SnapshotJSONReader) throws -> Void) throws {
        try expect(UInt8(ascii: "["))
        if try peek() == UInt8(ascii: "]") { offset += 1; return }
        while true {
            try element(&self)
            if try next(oneOf: UInt8(ascii: ","), UInt8(ascii: "]")) == UInt8(ascii: "]") { return }
            if try peek() == UInt8(ascii: "]") { offset += 1; return }  // a trailing comma, as Foundation allows
        }
    }

    /// `null` (consumed) or not (left for the caller).
    mutating func isNull() throws -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    mutating func string(shared: Bool = false) throws -> String {
        try expect(UInt8(ascii: "\""))
        let start = offset
        // The common case: no escapes, so the text is the bytes as they are.
        while offset < bytes.count, bytes[offset] != UInt8(ascii: "\""), bytes[offset] != UInt8(ascii: "\\") {
            guard bytes[offset] >= 0x20 else { throw Failure(offset: offset, message: "control character in a string") }
            offset += 1
        }
        guard offset < bytes.count else { throw Failure(offset: start, message: "unterminated string") }
        var text: String
        if bytes[offset] == UInt8(ascii: "\"") {
            text = try utf8(UnsafeBufferPointer(rebasing: bytes[start..<offset]), at: start)
            offset += 1
        } else {
            var decoded = Array(bytes[start..<offset])
            try unescape(into: &decoded)
            text = try utf8(decoded, at: start)
        }
        return shared ? interned.insert(text).memberAfterInsert : text
    }

    /// JSON text is UTF-8: a file in another encoding (a Latin-1 export) is refused, never read with its
    /// letters replaced (two names would become one).
    private func utf8(_ bytes: some Collection<UInt8>, at start: Int) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw Failure(offset: start, message: "a string that is not UTF-8 (save the snapshot as UTF-8)")
        }
        return text
    }

    private mutating func unescape(into out: inout [UInt8]) throws {
        while offset < bytes.count {
            let byte = bytes[offset]
            offset += 1
            switch byte {
            case UInt8(ascii: "\""): return
            case UInt8(ascii: "\\"):
                guard offset < bytes.count else { break }
                let escape = bytes[offset]
                offset += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): out.append(contentsOf: Array(String(try unicodeScalar()).utf8))
                default: throw Failure(offset: offset - 1, message: "unknown escape in a string")
                }
            case ..<0x20: throw Failure(offset: offset - 1, message: "control character in a string")
            default: out.append(byte)
            }
        }
        throw Failure(offset: offset, message: "unterminated string")
    }

    /// The scalar of `\uXXXX` (a surrogate pair when it takes two).
    private mutating func unicodeScalar() throws -> Unicode.Scalar {
        let high = try hex4()
        if (0xD800..<0xDC00).contains(high) {
            guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u")
            else { throw Failure(offset: offset, message: "unpaired surrogate in a string") }
            offset += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else {
                throw Failure(offset: offset, message: "unpaired surrogate in a string")
            }
            return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
        }
        guard let scalar = Unicode.Scalar(high) else {
            throw Failure(offset: offset, message: "unpaired surrogate in a string")
        }
        return scalar
    }

    private mutating func hex4() throws -> UInt32 {
        guard offset + 4 <= bytes.count else { throw Failure(offset: offset, message: #"bad \u escape"#) }
        var value: UInt32 = 0
        for byte in bytes[offset..<offset + 4] {
            guard let digit = Self.hexDigit(byte) else { throw Failure(offset: offset, message: #"bad \u escape"#) }
            value = value << 4 | digit
        }
        offset += 4
        return value
    }

    private static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// Skips any value (for keys the snapshot does not use), nested at most `maxDepth` deep: a hostile file of
    /// a million brackets is an error, not a stack overflow.
    mutating func skipValue(depth: Int = 0) throws {
        guard depth < Self.maxDepth else { throw Failure(offset: offset, message: "values nested too deep") }
        switch try peek() {
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "{"): try object { reader, _ in try reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["): try array { reader in try reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default:
            let start = offset
            while offset < bytes.count, "+-.0123456789eE".utf8.contains(bytes[offset]) { offset += 1 }
            guard offset > start,
                Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)) != nil
            else { throw Failure(offset: start, message: "expected a value") }
        }
    }

    static let maxDepth = 512

    mutating func end() throws {
        skipSpace()
        guard offset == bytes.count else { throw Failure(offset: offset, message: "text after the snapshot") }
    }

    private mutating func literal(_ word: String) throws {
        for byte in word.utf8 {
            guard offset < bytes.count, bytes[offset] == byte else {
                throw Failure(offset: offset, message: "expected \(word)")
            }
            offset += 1
        }
    }

    mutating func skipSpace() {
        while offset < bytes.count,
            bytes[offset] == 0x20 || bytes[offset] == 0x0A || bytes[offset] == 0x0D || bytes[offset] == 0x09
        {
            offset += 1
        }
    }

    private mutating func peek() throws -> UInt8 {
        skipSpace()
        guard offset < bytes.count else { throw Failure(offset: offset, message: "the text ends too soon") }
        return bytes[offset]
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard try peek() == byte else {
            throw Failure(offset: offset, message: "expected '\(Character(Unicode.Scalar(byte)))'")
        }
        offset += 1
    }

    private mutating func next(oneOf a: UInt8, _ b: UInt8) throws -> UInt8 {
        let byte = try peek()
        guard byte == a || byte == b else {
            throw Failure(
                offset: offset,
                message: "expected '\(Character(Unicode.Scalar(a)))' or '\(Character(Unicode.Scalar(b)))'")
        }
        offset += 1
        return byte
    }

    /// Line and column (from 1) of a byte offset, for errors.
    func place(of offset: Int) -> (Int, Int) {
        var line = 1, column = 1
        for index in 0..<min(offset, bytes.count) {
            if bytes[index] == 0x0A { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }
}
