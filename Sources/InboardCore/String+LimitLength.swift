extension StringProtocol {
    /// The length every text limit is stated in: Unicode code points, as JSON Schema's `maxLength` and
    /// PostgreSQL's `char_length` count them (one accented letter written as two code points counts two), so
    /// that the spec, the API, the pages and the database agree on what "at most 280 characters" lets through.
    public var limitLength: Int { unicodeScalars.count }
}
