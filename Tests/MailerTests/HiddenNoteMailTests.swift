import Foundation
import InboardStore
import InboardTestSupport
import Testing
@testable import Mailer

/// Security: a hidden status note reaches, by mail, only those the one visibility rule lets read it.
@Suite struct HiddenNoteMailTests {
    @Test func aHiddenNoteNeverReachesAPlainWatcherButReachesAnAdminWatcher() async throws {
        try await MailHarness.with { harness in
            let sink = try await SMTPSink.running()
            try await harness.useSink(sink)
            let cat = try await harness.person("cat"), bob = try await harness.person("bob"),
                ann = try await harness.person("ann")
            let watches = WatchStore(database: harness.pool, logger: MailHarness.logger)
            _ = try await watches.watch(watcher: bob, watched: cat, onlyIn: false)  // a plain user
            _ = try await watches.watch(watcher: ann, watched: cat, onlyIn: false)  // an admin
            let statuses = StatusStore(database: harness.pool, logger: MailHarness.logger)
            let type = try #require(try await statuses.type(named: "Remote"))
            let secret = "hospital-appointment-\(UUID().uuidString.prefix(6))"
            _ = try await statuses.set(
                personID: cat, type: type, change: .init(note: secret, noteHidden: true), setBy: cat, source: nil)
            let outcome = try await harness.worker().drainUntilIdle()
            #expect(outcome.sent == 2, "\(outcome)")
            let toBob = sink.received.filter { $0.to == ["bob@acme.test"] },
                toAnn = sink.received.filter { $0.to == ["ann@acme.test"] }
            #expect(toBob.count == 1 && toAnn.count == 1)
            #expect(
                !toBob.contains { ($0.text ?? "").contains(secret) }, "the plain watcher's mail holds the hidden note")
            #expect(toAnn.contains { ($0.text ?? "").contains(secret) }, "the admin watcher should still read it")
        }
    }
}

/// Security: a note's text cannot put markup into the HTML part of a mail from the trusted sender.
@Suite struct MailHTMLEscapingTests {
    @Test func valuesAreEscapedPerScalarInTheHTMLPart() throws {
        // U+0600 (a prepended mark) joins the following "<" into one Character: escaping per Character missed it.
        let hostile = "\u{0600}<a href=//evil.example>click</a> \"\u{301} onmouseover=x"
        let rendered = try MailTemplates().render(
            "note", values: ["from": "Mallory", "body": hostile, "recipientName": "Bob"])
        #expect(!rendered.html.contains("<a href"), "markup passed: \(rendered.html)")
        #expect(rendered.html.contains("&lt;a href=//evil.example&gt;"))
        let quoteWithMark = "\"" + "\u{301}"
        #expect(!rendered.html.contains(quoteWithMark))
        #expect(rendered.text.contains("<a href=//evil.example>"), "the text part stays as written")
    }
}
