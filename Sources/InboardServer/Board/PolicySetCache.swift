import PolicyEngine
import PolicyFiles

/// The parsed policy set, kept until a file of the folder changes: each request reads the folder's text (cheap)
/// and parses it again only when its digest differs from the set it holds. A set that fails to parse is never
/// kept, so the error shows until the files are fixed.
actor PolicySetCache {
    let folder: String
    private var parsed: PolicySet?

    init(folder: String) {
        self.folder = folder
    }

    func current() throws -> PolicySet {
        let source = try PolicySource.read(folder: folder)
        if let parsed, parsed.version == source.version { return parsed }
        let set = try PolicySet.parse(source)
        parsed = set
        return set
    }
}
