import Foundation
import Testing

@testable import InboardClient

/// Which program a session's autostart entry starts once no installed version is there: never a path inside
/// the install folder (an installed copy that removed itself would name its own deleted file).
struct UnmanagedClientTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("install-\(UUID())").path
    let system = "/bin/sh"  // an executable outside the folder, standing in for the system's client

    @Test func anInstalledCopyNamesTheRememberedSystemClientNeverItself() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let removedCopy = folder + "/versions/1.0.2/inboard-client"
        let withoutRecord = ClientUpdater.unmanagedClient(folder: folder, executable: removedCopy)
        #expect(withoutRecord != removedCopy)
        #expect(
            withoutRecord
                == (FileManager.default.isExecutableFile(atPath: "/usr/bin/inboard-client")
                    ? "/usr/bin/inboard-client" : nil))
        try system.write(toFile: folder + "/system-client", atomically: true, encoding: .utf8)
        #expect(ClientUpdater.unmanagedClient(folder: folder, executable: removedCopy) == system)
        #expect(ClientUpdater.unmanagedClient(folder: folder, executable: system) == system)
    }

    @Test func aRecordPointingIntoTheFolderOrAtAnUnsafePathIsIgnored() throws {
        try FileManager.default.createDirectory(atPath: folder + "/versions", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let inside = folder + "/versions/other"
        #expect(
            FileManager.default.createFile(atPath: inside, contents: Data(), attributes: [.posixPermissions: 0o755]))
        let copy = folder + "/versions/1.0.2/inboard-client"
        for recorded in [inside, "relative/inboard-client", "/bin/sh\nX-Evil=1", "/bin/$(id)"] {
            try recorded.write(toFile: folder + "/system-client", atomically: true, encoding: .utf8)
            #expect(ClientUpdater.unmanagedClient(folder: folder, executable: copy) != recorded, "\(recorded)")
        }
        #expect(!AutostartEntry.canRun("/home/a\"b/x") && !AutostartEntry.canRun("/bin/%u"))
        #expect(AutostartEntry.canRun("/home/zoé jr/.local/share/inboard-client/current/inboard-client"))
    }
}
