import InboardClient
import Testing

/// The cached board narrowed offline as the server narrows it: department in any case, search in the name or
/// username; a board filter cannot be applied without the server.
@Suite struct BoardQueryTests {
    let people: [[String: Any]] = [
        ["username": "carol", "displayName": "Carol King", "department": "Sales"],
        ["username": "bob", "displayName": "Bob Jones", "department": "IT"],
        ["username": "dave", "displayName": "Dave Carolan"],
    ]

    func usernames(_ query: InboardAPI.BoardQuery) -> [String]? {
        query.narrow(people)?.compactMap { $0["username"] as? String }
    }

    @Test func departmentAndSearchNarrowTheCache() {
        #expect(usernames(.init()) == ["carol", "bob", "dave"])
        #expect(usernames(.init(department: "sales")) == ["carol"])
        #expect(usernames(.init(search: "CAROL")) == ["carol", "dave"], "a name holding it counts too")
        #expect(usernames(.init(department: "IT", search: "carol")) == [])
        #expect(usernames(.init(search: "bo")) == ["bob"], "the username counts")
    }

    @Test func valuesAreTrimmedAndBlankOnesAreNoFilter() {
        #expect(usernames(.init(department: " Sales ", search: " carol")) == ["carol"])
        #expect(InboardAPI.BoardQuery(department: "  ", board: "", search: " ").isEverybody)
    }

    @Test func aBoardFilterNeedsTheServer() {
        #expect(usernames(.init(board: "Sales")) == nil)
        #expect(InboardAPI.BoardQuery().isEverybody && !InboardAPI.BoardQuery(search: "x").isEverybody)
    }
}
