import Foundation
import Testing

@testable import InboardClient

/// Idle time from the desktop, and when the client tells the server.
@Suite struct IdleSensingTests {
    @Test func logindHintsGiveIdleTimeAndLock() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let since = (now.timeIntervalSince1970 - 420) * 1_000_000
        let idle = IdleSource.parseLogind("IdleHint=yes\nIdleSinceHint=\(Int(since))\nLockedHint=no\n", now: now)
        #expect(idle == IdleSample(idleSeconds: 420))
        #expect(
            IdleSource.parseLogind("IdleHint=no\nIdleSinceHint=0\nLockedHint=yes\n", now: now)
                == IdleSample(idleSeconds: 0, locked: true))
        #expect(IdleSource.parseLogind("", now: now) == nil)
    }

    /// An X desktop whose logind session never sets IdleHint (i3, plain Xorg): X11's idle time counts, logind's
    /// lock still does (the agent never went away there before).
    @Test func x11IdleTimeCountsBesideLogind() {
        let quietLogind = IdleSample(idleSeconds: 0, locked: false)
        #expect(
            IdleSource.combined(logind: quietLogind, x11: IdleSample(idleSeconds: 600)) == IdleSample(idleSeconds: 600))
        #expect(
            IdleSource.combined(logind: IdleSample(idleSeconds: 30, locked: true), x11: IdleSample(idleSeconds: 5))
                == IdleSample(idleSeconds: 30, locked: true))
        #expect(IdleSource.combined(logind: nil, x11: IdleSample(idleSeconds: 7)) == IdleSample(idleSeconds: 7))
        #expect(IdleSource.combined(logind: quietLogind, x11: nil) == quietLogind)
        // Not on Wayland, whose XWayland sets DISPLAY but sees no input to native windows.
        #expect(IdleSource.isX11Session(["DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"]))
        #expect(IdleSource.isX11Session(["DISPLAY": ":0"]))
        #expect(IdleSource.isX11Session(["DISPLAY": ":0", "XDG_SESSION_TYPE": "tty"]), "startx from a console")
        #expect(!IdleSource.isX11Session(["DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland"]))
        #expect(!IdleSource.isX11Session(["DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"]))
        #expect(!IdleSource.isX11Session([:]))
    }

    @Test func theTestFileStandsInForTheDesktop() {
        #expect(IdleSource.parseFile("idle 90\n") == IdleSample(idleSeconds: 90))
        #expect(IdleSource.parseFile("active") == IdleSample(idleSeconds: 0))
        #expect(IdleSource.parseFile("locked") == IdleSample(idleSeconds: 0, locked: true))
        #expect(IdleSource.parseFile("sleepy") == nil)
    }

    @Test func aReportOnlyWhenIdlenessChangesAndALockCountsAsIdle() {
        var tracker = PresenceTracker(idleMinutes: 5)
        #expect(tracker.next(IdleSample(idleSeconds: 10)) == nil)
        #expect(tracker.next(IdleSample(idleSeconds: 299)) == nil)
        #expect(tracker.next(IdleSample(idleSeconds: 300)) == 300)
        #expect(tracker.next(IdleSample(idleSeconds: 900)) == nil)
        #expect(tracker.next(IdleSample(idleSeconds: 0)) == 0)
        #expect(tracker.next(IdleSample(idleSeconds: 0, locked: true)) == 300)
    }

    @Test func manifestSettingsWithDefaults() {
        let settings = ClientSettings(manifest: [
            "settings": ["idleMinutesBeforeAway": 5, "statusWatchPopups": false, "cacheMinutes": 0]
        ])
        #expect(settings.idleMinutesBeforeAway == 5 && !settings.popsUp("watch") && settings.popsUp("note"))
        #expect(settings.cacheMinutes == 1)
        #expect(ClientSettings(manifest: [:]).idleMinutesBeforeAway == nil)
    }

    @Test func theAutostartEntryFollowsThePolicyAndLeavesOthersAlone() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("home-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: home) }
        let entry = AutostartEntry(environment: ["HOME": home])
        #expect(entry.apply(wanted: true, executable: "/usr/bin/inboard-client") != nil)
        #expect(
            try String(contentsOfFile: entry.path, encoding: .utf8).contains("Exec=\"/usr/bin/inboard-client\" agent"))
        #expect(entry.apply(wanted: true, executable: "/usr/bin/inboard-client") == nil)
        // Ours, pointing elsewhere (an update moved the program): rewritten.
        #expect(
            entry.apply(wanted: true, executable: "/home/x/.local/share/inboard-client/current/inboard-client") != nil)
        #expect(
            entry.apply(wanted: false, executable: "") != nil && !FileManager.default.fileExists(atPath: entry.path))
        try "[Desktop Entry]\nExec=my-own\n".write(toFile: entry.path, atomically: true, encoding: .utf8)
        #expect(entry.apply(wanted: false, executable: "") == nil && FileManager.default.fileExists(atPath: entry.path))
    }

    @Test func othersTextCannotDriveTheTerminal() {
        let entry: [String: Any] = [
            "displayName": "Eve\u{1B}]0;owned\u{7}", "username": "eve",
            "status": ["type": "In", "note": "\u{1B}[2Jcleared\u{9B}31m"],
        ]
        let line = EntryText.line(entry)
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }, "\(line)")
        #expect(line.contains("cleared"))
    }

    @Test func aDamagedQueueIsAnErrorAndIsLeftAsItIs() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("queue-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "[{\"type\": truncated".write(toFile: folder + "/queue.json", atomically: true, encoding: .utf8)
        let queue = OfflineQueue(config: ClientConfig(environment: ["INBOARD_CLIENT_CONFIG_DIR": folder]))
        #expect(throws: ClientError.self) {
            try queue.append(OfflineQueue.Change(body: ["type": "In"], madeAt: Date(), owner: nil, session: nil))
        }
        #expect(try String(contentsOfFile: folder + "/queue.json", encoding: .utf8) == "[{\"type\": truncated")
    }

    /// The agent and a `set` in another terminal write the same queue: every change made survives.
    @Test func changesQueuedAtTheSameMomentAreAllKept() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("queue-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let queue = OfflineQueue(config: ClientConfig(environment: ["INBOARD_CLIENT_CONFIG_DIR": folder]))
        DispatchQueue.concurrentPerform(iterations: 40) { index in
            try? queue.append(
                OfflineQueue.Change(body: ["type": "T\(index)"], madeAt: Date(), owner: nil, session: nil))
        }
        #expect(Set(try queue.load().map(\.type)) == Set((0..<40).map { "T\($0)" }))
    }

    @Test func theCAFileGivenAtLoginIsSavedWithTheServer() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = ClientConfig(environment: ["INBOARD_CLIENT_CONFIG_DIR": folder])
        try config.saveServer(try ServerAddress("https://inboard.acme.test/"), caFile: "relative/ca.pem", account: nil)
        #expect(config.caFile == FileManager.default.currentDirectoryPath + "/relative/ca.pem")
        #expect(config.server == "https://inboard.acme.test/")
        try config.saveServer(try ServerAddress("https://other.acme.test/"), caFile: nil, account: nil)
        #expect(config.caFile == nil, "a login without one forgets the old server's")
    }
}
