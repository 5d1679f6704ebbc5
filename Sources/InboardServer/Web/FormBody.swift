import Foundation
import Hummingbird

/// An `application/x-www-form-urlencoded` body: every name=value pair in order (a name may repeat, as the
/// rows of a table do).
struct FormBody: Sendable {
    let pairs: [(name: String, value: String)]

    init(encoded text: String) {
        pairs = text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// The first value named `name`, trimmed; nil when absent or blank.
    subscript(name: String) -> String? {
        let value = pairs.first { $0.name == name }?.value.trimmingCharacters(in: .whitespacesAndNewlines)
        return value?.isEmpty == false ? value : nil
    }

    /// Every value named `name`, in order, untrimmed (table columns keep their row positions).
    func all(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    func has(_ name: String) -> Bool { pairs.contains { $0.name == name } }
}

extension Request {
    /// The form this request carries (its body is kept for the handler, which may read it again).
    mutating func form(context: some RequestContext) async throws -> FormBody {
        let buffer = try await collectBody(upTo: 1 << 20)
        let form = FormBody(encoded: String(buffer: buffer))
        if let field = form.pairs.first(where: { $0.name.utf8.contains(0) || $0.value.utf8.contains(0) }) {
            throw APIError(
                .badRequest, code: "bad_request",
                message: TextRules.nulMessage(field: field.name.replacingOccurrences(of: "\0", with: "")))
        }
        return form
    }
}
