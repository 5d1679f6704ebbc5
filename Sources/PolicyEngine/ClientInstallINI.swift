/// `ClientInstall.ini`, in the old product's format (CRLF lines under `[Startup Defaults]`): how a client
/// finds its server, which version it runs and how it is installed. One definition for the policy build and
/// for `inboard setup`.
public enum ClientInstallINI {
    public static func text(address: String, clientVersion: String, install: Policy.Package.Install) -> String {
        "[Startup Defaults]\r\nWebServiceAddress=\(address)\r\nClientVersion=\(clientVersion)\r\nInstallMode=\(install.rawValue)\r\n"
    }
}
