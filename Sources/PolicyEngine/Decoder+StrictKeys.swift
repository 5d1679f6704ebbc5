/// Policy files are refused with any key the format does not have: a misspelt `securty:` dropped a deny list,
/// `enforce:` an enforcement and `rolout:` a whole staged rollout, each without a word.
extension Decoder {
    func refuseUnknownKeys(_ known: [String]) throws {
        let container = try self.container(keyedBy: AnyPolicyKey.self)
        guard let unknown = container.allKeys.first(where: { !known.contains($0.stringValue) }) else { return }
        throw DecodingError.dataCorruptedError(
            forKey: unknown, in: container,
            debugDescription:
                "unknown key '\(unknown.stringValue)'; the keys here are: \(known.joined(separator: ", "))")
    }
}

/// Any key of a mapping, to list what it holds.
struct AnyPolicyKey: CodingKey {
    var stringValue: String
    init(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}
