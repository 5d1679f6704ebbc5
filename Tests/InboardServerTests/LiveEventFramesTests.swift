import Foundation
import InboardStore
import Testing

@testable import InboardServer

/// What one event-log row becomes on the wire: hidden notes only for those who may read them, and a row this
/// server cannot read (another version wrote it) never sent as stored.
@Suite struct LiveEventFramesTests {
    func person(_ id: Int64, _ role: Person.Role) -> Person {
        Person(
            id: id, username: "p\(id)", displayName: "P \(id)", email: nil, department: nil, role: role, active: true,
            source: "directory", directoryID: nil)
    }

    let hiddenStatus = """
        {"id":7,"username":"ann","displayName":"Ann","active":true,"status":{"type":"Lunch","typeId":3,"colour":"#123456",
         "presence":"out","note":"secret","noteHidden":true,"setAt":1700000000,"autoAway":false}}
        """

    @Test func aHiddenNoteGoesToItsOwnerAndDelegatesOnly() {
        let event = LiveEvent(id: 1, kind: "status", recipientID: nil, payload: hiddenStatus)
        #expect(event.frame(for: person(7, .user)).contains("secret"))
        #expect(event.frame(for: person(8, .delegate)).contains("secret"))
        #expect(!event.frame(for: person(9, .user)).contains("secret"))
        #expect(event.isVisible(to: person(9, .user)))
    }

    @Test func anEntryThisServerCannotReadIsNeverSent() {
        // No "presence": not a board entry this version can decode.
        let unreadable = hiddenStatus.replacingOccurrences(of: "\"presence\":\"out\",", with: "")
        let event = LiveEvent(id: 2, kind: "status", recipientID: nil, payload: unreadable)
        #expect(!event.isVisible(to: person(9, .user)) && !event.isVisible(to: person(8, .admin)))
        #expect(!event.frame(for: person(9, .user)).contains("secret"))
    }
}
