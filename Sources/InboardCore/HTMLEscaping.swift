/// HTML escaping per Unicode scalar, for every rendered page and mail. swift-mustache's own escapes per
/// Character, so a `"` or `<` that joins a neighbouring scalar into one grapheme (a combining mark after it, a
/// prepended concatenation mark before it) went out unescaped.
public enum HTMLEscaping {
    /// The name both renderers register their content type under (`{{% CONTENT_TYPE: … }}`).
    public static let contentTypeName = "INBOARD_HTML"

    public static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}
