/// Byte-level helpers for text that is ASCII by protocol (header names, schemes, addresses).
public enum ASCII {
    /// A-Z to a-z; every other byte as it is.
    @inlinable public static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }
}
