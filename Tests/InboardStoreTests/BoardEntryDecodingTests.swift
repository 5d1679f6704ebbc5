import Foundation
import InboardCore
import InboardStore
import Testing

/// A board entry's `overdue` comes from `OverdueRule` when it is read, whatever the stored JSON says, and
/// `refreshed(now:)` applies the same rule at another time.
@Suite struct BoardEntryDecodingTests {
    func entry(presence: String, returnAt: Date?, storedOverdue: Bool) throws -> BoardEntry {
        let returnField = returnAt.map { "\"returnAt\":\($0.timeIntervalSince1970)," } ?? ""
        let json = """
            {"id":7,"username":"ann","displayName":"Ann","active":true,"status":{"type":"Lunch","typeId":3,"colour":"#123456",
             "presence":"\(presence)","noteHidden":false,\(returnField)"setAt":1700000000,"autoAway":false,"overdue":\(storedOverdue)}}
            """
        return try BoardEntry.decoder.decode(BoardEntry.self, from: Data(json.utf8))
    }

    @Test func overdueIsComputedNotTrusted() throws {
        #expect(
            try entry(presence: "out", returnAt: Date().addingTimeInterval(-60), storedOverdue: false).status?.overdue
                == true)
        #expect(
            try entry(presence: "out", returnAt: Date().addingTimeInterval(3600), storedOverdue: true).status?.overdue
                == false)
        #expect(
            try entry(presence: "in", returnAt: Date().addingTimeInterval(-60), storedOverdue: true).status?.overdue
                == false)
        let later = try entry(presence: "out", returnAt: Date().addingTimeInterval(3600), storedOverdue: false)
            .refreshed(now: Date().addingTimeInterval(7200))
        #expect(later.status?.overdue == true)
    }
}
