#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#elseif canImport(Musl)
    import Musl
#endif

/// Spawn actions that keep a child from inheriting this process's descriptors above standard error.
///
/// SwiftNIO opens its sockets without close-on-exec, so a child started with `posix_spawn` holds copies of every
/// connection and listener open at that moment, and a peer of a connection this process closes waits for an
/// end-of-file for as long as the child lives. (Foundation's `Process` closes them itself on Linux.) glibc 2.34's
/// `posix_spawn_file_actions_addclosefrom_np` closes them all in the child; Swift's Glibc module does not import
/// it (a GNU extension), so it is looked up once by name.
public enum SpawnActions {
    /// Adds "close every descriptor from 3 up" to `actions`; false where the C library cannot (before glibc 2.34,
    /// other C libraries).
    @discardableResult
    public static func closeOthers(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>) -> Bool {
        #if canImport(Glibc)
            guard let closeFrom else { return false }
            return closeFrom(actions, 3) == 0
        #else
            return false
        #endif
    }

    #if canImport(Glibc)
        private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

        private static let closeFrom: CloseFrom? = {
            guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
            return unsafeBitCast(symbol, to: CloseFrom.self)
        }()
    #endif
}
