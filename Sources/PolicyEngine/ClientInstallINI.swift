import InboardCore

extension ClientInstallINI {
    /// The file for a package's install mode (the format itself is defined once, in InboardCore).
    public static func text(address: String, clientVersion: String, install: Policy.Package.Install) -> String {
        text(address: address, clientVersion: clientVersion, installMode: install.rawValue)
    }
}
