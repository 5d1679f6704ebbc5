import Foundation
import Hummingbird

/// A request body whose top-level fields are known, so that an unknown one (a typo such as `retrunAt`)
/// is refused with its name instead of being silently ignored.
protocol KnownFields {
    static var fields: Set<String> { get }
}

extension Request {
    /// Decodes a JSON body; an unknown field, a wrong type or a missing field is a 400 naming it. An empty
    /// body reads as `{}` when `emptyMeansDefaults` (requests whose fields are all optional).
    func decodeJSON<T: Decodable>(as type: T.Type, context: AppRequestContext, emptyMeansDefaults: Bool = false)
        async throws -> T
    {
        var body = try await jsonBody(allowingEmpty: emptyMeansDefaults)
        if emptyMeansDefaults, Self.isBlank(body) {
            body = ByteBuffer(string: "{}")
        }
        let data = Data(buffer: body)
        try Self.refuseNULAndUnknownFields(in: data, knownFields: (T.self as? any KnownFields.Type)?.fields)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = ISO8601DateFormatter().date(from: text) ?? Self.fractionalISO.date(from: text) { return date }
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not an ISO 8601 date such as 2026-11-25T14:00:00Z")
        }
        do { return try decoder.decode(T.self, from: data) } catch let error as DecodingError {
            throw APIError(.badRequest, code: "bad_request", message: Self.describe(error))
        } catch {
            throw APIError(.badRequest, code: "bad_request", message: "the body is not JSON")
        }
    }

    /// The body (up to 1 MB), refused with a 415 unless it is sent as JSON: a cross-site form can send text/plain
    /// without a preflight, so only JSON's own type is taken. A blank body passes when `allowingEmpty`.
    func jsonBody(allowingEmpty: Bool = false) async throws -> ByteBuffer {
        let body = try await self.body.collect(upTo: 1 << 20)
        if !(allowingEmpty && Self.isBlank(body)), !Self.isJSON(headers[.contentType]) {
            throw APIError(
                .unsupportedMediaType, code: "unsupported_media_type",
                message: "send the body as JSON with 'Content-Type: application/json'")
        }
        return body
    }

    static func isBlank(_ body: ByteBuffer) -> Bool {
        body.readableBytesView.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 })
    }

    /// Refuses (400) a string holding U+0000, which PostgreSQL's text cannot store, and a top-level field the
    /// request type does not know. The body is parsed for this at most once, and only when there is something
    /// to look for: a body spelling `\u0000`, or a type with known fields.
    static func refuseNULAndUnknownFields(in data: Data, knownFields: Set<String>?) throws {
        let mayHoldNUL = data.range(of: Data(#"\u0000"#.utf8)) != nil
        guard mayHoldNUL || knownFields != nil,
            let parsed = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        else { return }
        if mayHoldNUL, let field = fieldHoldingNUL(in: parsed) {
            throw APIError(.badRequest, code: "bad_request", message: TextRules.nulMessage(field: field))
        }
        if let knownFields, let object = parsed as? [String: Any],
            let unknown = object.keys.sorted().first(where: { !knownFields.contains($0) })
        {
            throw APIError(
                .badRequest, code: "bad_request",
                message:
                    "field '\(unknown)' is unknown; the fields are: \(knownFields.sorted().joined(separator: ", "))")
        }
    }

    /// The path of a string holding U+0000 in a parsed JSON value, or nil.
    static func fieldHoldingNUL(in object: Any) -> String? {
        func search(_ value: Any, _ path: String) -> String? {
            switch value {
            case let text as String: return text.utf8.contains(0) ? path : nil
            case let array as [Any]:
                return array.enumerated().lazy.compactMap { search($0.element, "\(path)[\($0.offset)]") }.first
            case let object as [String: Any]:
                return object.sorted { $0.key < $1.key }.lazy.compactMap { entry in
                    entry.key.utf8.contains(0)
                        ? path : search(entry.value, path.isEmpty ? entry.key : "\(path).\(entry.key)")
                }.first
            default: return nil
            }
        }
        return search(object, "")
    }

    static func isJSON(_ contentType: String?) -> Bool {
        guard let type = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        else { return false }
        return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }

    nonisolated(unsafe) static let fractionalISO: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case let .keyNotFound(key, context):
            return "field '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))' is missing"
        case let .typeMismatch(type, context), let .valueNotFound(type, context):
            return
                "field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' must be \(type == Date.self ? "an ISO 8601 date" : "\(type)")"
        case let .dataCorrupted(context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "the body is not valid JSON" : "field '\(path)': \(context.debugDescription)"
        @unknown default:
            return "the body does not match"
        }
    }
}
