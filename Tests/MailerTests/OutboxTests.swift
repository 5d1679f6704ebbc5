import Foundation
import InboardStore
import InboardTestSupport
import Logging
import PostgresNIO
import Testing
@testable import Mailer

/// The outbox and its worker against PostgreSQL and a real SMTP server: triggers, retries, dead letters, an
/// outage, a killed process and two processes draining one outbox.
@Suite struct OutboxTests {
    @Test func aNoteIsMailedOnceWithItsTemplateAndAWatchMailFollowsAStatusChange() async throws {
        try await MailHarness.with { harness in
            let sink = try await SMTPSink.running()
            try await harness.useSink(sink)
            try await harness.queueNotes(1)
            let cat = try await harness.person("cat"), bob = try await harness.person("bob")
            #expect(
                try await WatchStore(database: harness.pool, logger: MailHarness.logger).watch(
                    watcher: bob, watched: cat, onlyIn: false))
            let statuses = StatusStore(database: harness.pool, logger: MailHarness.logger)
            let type = try #require(try await statuses.type(named: "Remote"))
            _ = try await statuses.set(
                personID: cat, type: type, change: .init(note: "home office"), setBy: cat, source: nil)
            let outcome = try await harness.worker().drainUntilIdle()
            #expect(outcome.sent == 2 && outcome.dead == 0, "\(outcome)")
            #expect(Set(sink.received.map(\.subject)) == ["Ann Admin left you a note", "Cat Côté is now Remote"])
            #expect(sink.received.allSatisfy { $0.to == ["bob@acme.test"] })
            #expect(try await harness.worker().drainUntilIdle().claimed == 0, "nothing is sent twice")
        }
    }

    /// A rolling upgrade: a server still on the old version leaves the outbox to those of the database's schema.
    @Test func aWorkerLeftOnTheOldSchemaSendsNothing() async throws {
        try await MailHarness.with { harness in
            let sink = try await SMTPSink.running()
            try await harness.useSink(sink)
            try await harness.queueNotes(2)
            let current = try MigrationCatalog.embedded().latestVersion
            let old = try await harness.worker(schemaVersion: current - 1).drainUntilIdle()
            #expect(old.claimed == 0 && sink.received.isEmpty, "an old server sent mail: \(old)")
            #expect(try await harness.states()["pending"] == 2)
            let upgraded = try await harness.worker(schemaVersion: current).drainUntilIdle()
            #expect(upgraded.sent == 2 && sink.received.count == 2, "\(upgraded)")
        }
    }

    @Test func aTemporaryRefusalIsRetriedAndAPermanentOneIsADeadLetter() async throws {
        try await MailHarness.with { harness in
            let sink = try await SMTPSink.running(["--temp-fail", "1", "--reject-domain", "elsewhere.test"])
            try await harness.useSink(sink)
            try await harness.queueNotes(1, to: "bob")
            try await harness.queueNotes(1, to: "eve")
            let first = try await harness.worker().drainOnce()
            #expect(first.retried == 1 && first.dead == 1 && first.sent == 0, "\(first)")
            try await Task.sleep(for: .milliseconds(300))
            let second = try await harness.worker().drainUntilIdle()
            #expect(second.sent == 1, "\(second)")
            #expect(sink.received.count == 1)
            let problems = try await Outbox(database: harness.pool, logger: MailHarness.logger).problems()
            #expect(
                problems.count == 1 && problems[0].state == "dead" && problems[0].error.contains("550"), "\(problems)")
        }
    }

    @Test func anOutageLosesNothingAndSendsEachMessageOnce() async throws {
        try await MailHarness.with { harness in
            let sink = try await SMTPSink.running()
            try await harness.useSink(sink)
            sink.stop()
            try await harness.queueNotes(5)
            let during = try await harness.worker().drainOnce()
            #expect(during.retried == 5 && during.lastError?.contains("cannot reach") == true, "\(during)")
            #expect(try await harness.states()["pending"] == 5)
            try await sink.start()
            try await Task.sleep(for: .milliseconds(300))
            let after = try await harness.worker().drainUntilIdle()
            #expect(after.sent == 5, "\(after)")
            #expect(Set(sink.received.compactMap(\.messageId)) == (try await harness.messageIDs()))
            #expect(sink.received.count == 5)
        }
    }

    @Test func aProcessKilledMidBatchLosesNothingAndItsRetryKeepsTheMessageID() async throws {
        try await MailHarness.with { harness in
            // Slow enough that the kill lands mid-drain on any machine.
            let sink = try await SMTPSink.running(["--delay-ms", "20"])
            try await harness.useSink(sink)
            let total = 400
            try await harness.queueNotes(total)
            let drain = try ChildProcess(
                try inboardBinary(), ["mail", "drain"], environment: harness.environment, capture: false)
            try await eventually(within: .seconds(60), every: .milliseconds(25)) { sink.receivedCount >= 40 }
            drain.signal(SIGKILL)
            _ = await drain.exit()
            let counts = try await harness.states()
            #expect((counts["sending"] ?? 0) > 0 || (counts["pending"] ?? 0) > 0, "killed before the end: \(counts)")
            // The dead process's claims last until their lease ends; let it end now rather than in two minutes.
            try await harness.db.execute(
                "UPDATE outbox SET lease_until = now() - interval '1 second' WHERE state = 'sending'")
            let rest = try await runProgram(try inboardBinary(), ["mail", "drain"], environment: harness.environment)
            #expect(rest.status == 0, "\(rest)")
            #expect(try await harness.states() == ["sent": total])
            let delivered = sink.received.compactMap(\.messageId)
            #expect(Set(delivered) == (try await harness.messageIDs()), "every row delivered, under its own Message-ID")
            // SMTP has no two-phase commit: a message the server accepted just before the kill, whose row was not
            // yet marked, goes again. The worker keeps that window to two messages, each under its own Message-ID.
            #expect(
                delivered.count - Set(delivered).count <= 2,
                "at most the two messages in flight at the kill are delivered twice")
        }
    }

    @Test func twoProcessesDrainingOneOutboxSendEachMessageOnce() async throws {
        try await MailHarness.with { harness in
            let sink = try await SMTPSink.running()
            try await harness.useSink(sink)
            try await harness.queueNotes(300)
            async let first = runProgram(
                try inboardBinary(), ["mail", "drain", "--json"], environment: harness.environment)
            async let second = runProgram(
                try inboardBinary(), ["mail", "drain", "--json"], environment: harness.environment)
            let (a, b) = try await (first, second)
            #expect(a.status == 0 && b.status == 0, "\(a) \(b)")
            #expect(sink.received.count == 300)
            #expect(Set(sink.received.compactMap(\.messageId)).count == 300)
            #expect(try await harness.states() == ["sent": 300])
        }
    }

    @Test func mailOffOrNoAddressOrOptedOutIsSkippedWithAReason() async throws {
        try await MailHarness.with { harness in
            let sink = try await SMTPSink.running()
            try await harness.useSink(sink)
            let bob = try await harness.person("bob")
            try await harness.db.execute(
                "INSERT INTO mail_preferences (person_id, events) VALUES (\(bob), '{\"note\": false}')")
            try await harness.db.execute("UPDATE people SET email = NULL WHERE username = 'cat'")
            try await harness.queueNotes(1, to: "bob")
            try await harness.queueNotes(1, to: "cat")
            let outcome = try await harness.worker().drainUntilIdle()
            #expect(outcome.skipped == 2 && sink.received.isEmpty, "\(outcome)")
        }
    }
}

@Suite struct QuietHoursTests {
    @Test func quietHoursAcrossMidnightEndNextMorning() throws {
        let utc = TimeZone(identifier: "UTC")!
        let settings = SMTPSettings(quietHours: "22:00-07:00")
        let late = ISO8601DateFormatter().date(from: "2026-11-25T23:30:00Z")!
        #expect(settings.quietUntil(late, zone: utc) == ISO8601DateFormatter().date(from: "2026-11-26T07:00:00Z"))
        let early = ISO8601DateFormatter().date(from: "2026-11-26T06:59:00Z")!
        #expect(settings.quietUntil(early, zone: utc) == ISO8601DateFormatter().date(from: "2026-11-26T07:00:00Z"))
        #expect(settings.quietUntil(ISO8601DateFormatter().date(from: "2026-11-26T12:00:00Z")!, zone: utc) == nil)
        #expect(throws: SMTPSettingsError.self) { try SMTPSettings(quietHours: "late-early").validate() }
    }

    @Test func notesWaitOutQuietHoursButAdminMailDoesNot() async throws {
        try await MailHarness.with { harness in
            let sink = try await SMTPSink.running()
            try await harness.useSink(sink)
            // Quiet all day but the hour that starts half an hour from now, whatever the time: the note must wait.
            let now = Calendar.current.dateComponents([.hour, .minute], from: Date().addingTimeInterval(1800))
            let end = String(format: "%02d:%02d", now.hour!, now.minute!)
            let start = String(format: "%02d:%02d", (now.hour! + 1) % 24, now.minute!)
            try await harness.db.execute(
                "UPDATE settings SET value = jsonb_set(value, '{quietHours}', to_jsonb('\(start)-\(end)'::text)) WHERE key = 'smtp'"
            )
            try await harness.queueNotes(1)
            try await harness.db.execute(
                "INSERT INTO outbox (event, payload) VALUES ('sync.held', '{\"run\": 7, \"reason\": \"would disable 90%\"}')"
            )
            let outcome = try await harness.worker().drainUntilIdle()
            #expect(outcome.sent == 1 && outcome.released == 1, "\(outcome)")
            #expect(sink.received.map(\.subject) == ["Inboard held directory sync run 7"])
            #expect(sink.received.first?.to == ["ann@acme.test"], "admin mail goes to the admins")
            #expect(try await harness.states()["pending"] == 1, "the note waits, not lost")
        }
    }
}

@Suite struct WatchDigestTests {
    @Test func aDigestReaderGetsOneMailPerHourForAllTheirWatchChanges() async throws {
        try await MailHarness.with { harness in
            let sink = try await SMTPSink.running()
            try await harness.useSink(sink)
            let bob = try await harness.person("bob"), cat = try await harness.person("cat"),
                ann = try await harness.person("ann")
            try await MailPreferencesStore(database: harness.pool, logger: MailHarness.logger).save(
                bob, ["note": true, "watch": true, "watchDigest": true])
            let watches = WatchStore(database: harness.pool, logger: MailHarness.logger)
            _ = try await watches.watch(watcher: bob, watched: cat, onlyIn: false)
            _ = try await watches.watch(watcher: bob, watched: ann, onlyIn: false)
            let statuses = StatusStore(database: harness.pool, logger: MailHarness.logger)
            for (person, type) in [(cat, "Remote"), (ann, "Sick")] {
                _ = try await statuses.set(
                    personID: person, type: try #require(try await statuses.type(named: type)), change: .init(),
                    setBy: person, source: nil)
            }
            // Half an hour ahead, so that the top of the hour after it is surely ahead of the worker's clock
            // (changes made a moment before the hour would otherwise be due at once).
            try await harness.db.execute(
                "UPDATE outbox SET created_at = now() + interval '30 minutes' WHERE event = 'watch'")
            let early = try await harness.worker().drainUntilIdle()
            #expect(early.released == 2 && sink.received.isEmpty, "held until the top of the hour: \(early)")
            // The hour has passed (as if): both changes go out as one message.
            try await harness.db.execute(
                "UPDATE outbox SET created_at = now() - interval '1 hour', next_attempt_at = now() WHERE event = 'watch'"
            )
            let due = try await harness.worker().drainUntilIdle()
            #expect(due.sent == 2, "\(due)")
            #expect(sink.received.map(\.subject) == ["2 changes among the people you watch"])
            #expect(try await harness.states() == ["sent": 2])
        }
    }
}
