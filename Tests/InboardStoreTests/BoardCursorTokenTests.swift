import Foundation
import InboardStore
import Testing

/// A cursor's token is the same bytes in every process: the cached first page (and its ETag) carries the next
/// page's token, so servers behind one balancer must write it alike, or a client's If-None-Match from one server
/// never matches another's page. JSONEncoder's key order varies from process to process; this failed in about
/// half the runs before the keys were sorted.
@Suite struct BoardCursorTokenTests {
    @Test func theSameCursorIsAlwaysTheSameToken() throws {
        let cursor = BoardCursor(sortName: "ann example", id: 101)
        let json = #"{"i":101,"n":"ann example"}"#
        let expected = Data(json.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        #expect(cursor.token == expected)
        #expect(BoardCursor(token: cursor.token) == cursor)
    }
}
