import Hummingbird

/// Query parameters read strictly, one rule for every route: absent means the default, present but not of its
/// type (empty included) is a 400 that names the parameter (a typo never silently becomes the default), and a number above the
/// route's most is lowered to it (as the spec says: a client asking for more gets a full page, not an error).
extension Parameters {
    /// A whole number from `range.lowerBound` up; above `range.upperBound` it is lowered.
    func count(_ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = get(name) else { return value }
        guard let number = Int(text), number >= range.lowerBound else {
            throw APIError(
                .badRequest, code: "invalid_field",
                message: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound).")
        }
        return Swift.min(number, range.upperBound)
    }

    /// A text filter: nil when absent or blank; one holding U+0000 is a 400 (PostgreSQL's text cannot hold it:
    /// it was a 500).
    func text(_ name: String) throws -> String? {
        guard let text = get(name).nonBlank else { return nil }
        guard !text.utf8.contains(0) else {
            throw APIError(.badRequest, code: "invalid_field", message: TextRules.nulMessage(field: name))
        }
        return text
    }

    /// `true` or `false`; absent is `value`.
    func flag(_ name: String, default value: Bool = false) throws -> Bool {
        guard let text = get(name) else { return value }
        switch text {
        case "true": return true
        case "false": return false
        default: throw APIError(.badRequest, code: "invalid_field", message: "\(name) must be true or false.")
        }
    }
}
