import Foundation
import InboardStore

extension Doctor {
    /// The secret key: present, 32 bytes, readable by no one else (but the service group, when root owns it).
    func secretKeyCheck() -> (finding: Finding, box: SecretBox?) {
        let path = environment.configuration.secretKeyFile
        do {
            let box = try SecretBox.load(keyFile: path)
            let attributes = (try? FileManager.default.attributesOfItem(atPath: path)) ?? [:]
            let mode = attributes[.posixPermissions] as? Int ?? 0
            if !KeyFileOwnership.isPrivate(attributes) {
                return (
                    .failed(
                        "secret key", "\(path) is readable by others (mode \(String(mode, radix: 8)))",
                        fix: "chmod 600 \(path)"), box
                )
            }
            return (.ok("secret key", "\(path): 32 bytes, mode \(String(mode, radix: 8))"), box)
        } catch {
            return (
                .failed(
                    "secret key", error.description,
                    fix:
                        "set INBOARD_SECRET_KEY_FILE to the key 'inboard setup' wrote; a new key cannot open stored secrets"
                ),
                nil
            )
        }
    }

    /// Free space where the database backups and the key live.
    func diskCheck() -> Finding {
        let folder =
            ["/var/backups/inboard", "/var/lib/inboard", FileManager.default.currentDirectoryPath].first {
                FileManager.default.isWritableFile(atPath: $0)
            } ?? "/"
        var stats = statvfs()
        guard statvfs(folder, &stats) == 0 else {
            return .failed("disk", "cannot read the free space of \(folder)", fix: "check that \(folder) exists")
        }
        let free = Double(stats.f_bavail) * Double(stats.f_frsize)
        let total = Double(stats.f_blocks) * Double(stats.f_frsize)
        let detail = String(
            format: "%@: %.1f GB free of %.1f GB (%.0f%%)", folder, free / 1e9, total / 1e9, 100 * free / max(total, 1))
        if free < 1e9 || free < total * 0.05 {
            return .failed("disk", detail, fix: "free space under \(folder): backups and PostgreSQL need room to grow")
        }
        return .ok("disk", detail)
    }
}
