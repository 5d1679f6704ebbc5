import LDAPKit

/// An entry's values as text PostgreSQL can store. PostgreSQL text holds neither a NUL byte nor invalid
/// UTF-8, and COPY refuses its whole batch for one such value: one odd attribute would fail the sync, and a
/// failed sync deprovisions nobody. Such a value is dropped instead, with a warning naming the entry and
/// the attribute (once per attribute).
struct StorableValues {
    let entry: LDAPEntry
    private(set) var warnings: [String] = []
    private var warned: Set<String> = []

    init(_ entry: LDAPEntry) { self.entry = entry }

    /// The first value of `attribute`; nil when there is none or when it was dropped.
    mutating func string(_ attribute: String) -> String? {
        guard let first = entry.withFirstValue(attribute, Self.decode) else { return nil }
        return keep(first, of: attribute)
    }

    /// Every value of `attribute` that can be stored.
    mutating func strings(_ attribute: String) -> [String] {
        entry.withValues(attribute, Self.decode).compactMap { keep($0, of: attribute) }
    }

    /// Values fetched apart from the entry (AD's ranged `member`), checked the same way.
    mutating func strings(_ values: [[UInt8]], of attribute: String) -> [String] {
        values.compactMap { value in keep(value.withUnsafeBufferPointer(Self.decode), of: attribute) }
    }

    /// Whether a string built elsewhere (an identity, a DN) can be stored; invalid UTF-8 cannot occur in one.
    static func isStorable(_ text: String) -> Bool { !text.utf8.contains(0) }

    enum Refusal: String, Error {
        case nul = "holds a NUL byte"
        case invalidUTF8 = "is not valid UTF-8"
    }

    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<String, Refusal> {
        if bytes.contains(0) { return .failure(.nul) }
        guard let text = String(validating: bytes, as: UTF8.self) else { return .failure(.invalidUTF8) }
        return .success(text)
    }

    private mutating func keep(_ value: Result<String, Refusal>, of attribute: String) -> String? {
        switch value {
        case let .success(text):
            return text
        case let .failure(refusal):
            if warned.insert(attribute.lowercased()).inserted {
                warnings.append(
                    "\(entry.dn): a value of \(attribute) \(refusal.rawValue), which PostgreSQL cannot store: dropped")
            }
            return nil
        }
    }
}
