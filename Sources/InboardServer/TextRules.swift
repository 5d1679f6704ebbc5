/// Rules every text a request carries meets, whichever way it came (JSON body or web form).
enum TextRules {
    /// PostgreSQL's text cannot hold U+0000: such a value is refused before it reaches the database (where it
    /// was a 500), naming the field.
    static func nulMessage(field: String) -> String {
        "field '\(field.isEmpty ? "(the body)" : field)' holds a NUL character (U+0000), which cannot be stored"
    }
}
