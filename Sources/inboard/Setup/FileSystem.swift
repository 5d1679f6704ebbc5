import Foundation
import InboardStore

enum FileSystem {
    /// A setup file (the key, the environment file) written privately and moved into place (see `PrivateFile`).
    static func writeAtomically(_ data: Data, to path: String, mode: Int, user: String? = nil, group: String? = nil)
        throws
    {
        do {
            try PrivateFile.write(data, to: path, mode: mode_t(mode), user: user, group: group, replacing: true)
        } catch {
            throw CommandFailure(message: "\(error): check that this user may write there")
        }
    }
}
