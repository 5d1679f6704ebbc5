import InboardClient
import Testing

/// SSE lines in, events out, and the last event id kept as EventSource keeps it.
@Suite struct LiveEventParserTests {
    @Test func aStreamsStartingIdCountsBeforeAnyEvent() {
        var parser = LiveEventParser()
        let preamble = ["retry: 3000", "id: 41", ": connected", ""].compactMap { parser.feed($0) }
        #expect(preamble.isEmpty, "an id without data is not an event")
        #expect(parser.lastEventID == "41", "a reconnect now resumes after 41")
        let events = ["id: 42", "event: note", "data: {\"body\":\"hi\"}", "", ": keep-alive", ""].compactMap {
            parser.feed($0)
        }
        #expect(events.count == 1 && events[0].id == 42 && events[0].kind == "note")
        #expect(parser.lastEventID == "42", "a comment after the event changes nothing")
        // A position with ids still being committed is kept whole, to be handed back as it is.
        let pending = ["id: 45.43", "event: status", "data: {}", ""].compactMap { parser.feed($0) }
        #expect(pending.first?.streamID == "45.43" && pending.first?.id == 45)
        let late = ["id: 43:45", "event: note", "data: {}", ""].compactMap { parser.feed($0) }
        #expect(late.first?.id == 43, "the late event is named by its own id")
        #expect(parser.lastEventID == "43:45")
    }

    /// More missed than the server replays: a `reset` whose id is where live delivery starts, said in words.
    @Test func aResetIsAnEventWithItsOwnIdAndExplanation() {
        var parser = LiveEventParser()
        let lines = ["id: 1102", "event: reset", "data: {\"reason\":\"too_far_behind\",\"replayLimit\":1000}", ""]
        let reset = lines.compactMap { parser.feed($0) }
        #expect(reset.first?.kind == "reset" && parser.lastEventID == "1102", "a reconnect resumes after the reset")
        #expect(reset.first?.isPersonal == true, "listen and the agent show it")
        let status = ["id: 1103", "event: status", "data: {}", ""].compactMap { parser.feed($0) }
        #expect(status.first?.isPersonal == false, "a board change is not told to everyone by listen")
        #expect(reset.first?.text.contains("inboard-client notes") == true, "\(reset.first?.text ?? "")")
    }
}
