/// A directory setting that cannot work, named as the admin wrote it (`userFilter`, `attributes.email`).
public struct DirectorySettingsError: Error, Sendable, CustomStringConvertible, Equatable {
    public let setting: String
    public let message: String

    public init(setting: String, message: String) {
        self.setting = setting
        self.message = message
    }

    public var description: String { "directory setting '\(setting)': \(message)" }
}
