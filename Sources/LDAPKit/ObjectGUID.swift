/// AD's `objectGUID`: 16 bytes whose first three fields are little-endian, shown as
/// `{01234567-89ab-cdef-0123-456789abcdef}` without braces. Converts both ways.
public struct ObjectGUID: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses the canonical string form (braces optional, any case).
    public init?(_ text: String) {
        let hexDigits = text.filter { $0 != "-" && $0 != "{" && $0 != "}" }
        guard hexDigits.count == 32, text.filter({ $0 == "-" }).count == 4 else { return nil }
        var display: [UInt8] = []
        var index = hexDigits.startIndex
        for _ in 0..<16 {
            let next = hexDigits.index(index, offsetBy: 2)
            guard let byte = UInt8(hexDigits[index..<next], radix: 16) else { return nil }
            display.append(byte)
            index = next
        }
        self.bytes = Self.swapFields(display)
    }

    /// Lower-case canonical form, e.g. `c8a4c4a2-4e3f-4b0f-9e3a-1b2c3d4e5f60`.
    public var description: String {
        let d = Self.swapFields(bytes).map { String($0, radix: 16).leftPadded(to: 2) }
        return d[0..<4].joined() + "-" + d[4..<6].joined() + "-" + d[6..<8].joined() + "-" + d[8..<10].joined() + "-"
            + d[10..<16].joined()
    }

    /// For a search by GUID: every byte escaped.
    public var filterValue: String { LDAPFilter.escape(bytes: bytes) }

    /// Reverses the byte order of the first three fields (4, 2 and 2 bytes); its own inverse.
    static func swapFields(_ b: [UInt8]) -> [UInt8] {
        [b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6]] + b[8..<16]
    }
}
