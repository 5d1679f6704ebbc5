import InboardCore
import Testing

@Suite struct LoopbackHostTests {
    @Test func onlyThisMachinesAddressesAreLoopback() {
        for host in ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]"] {
            #expect(LoopbackHost.contains(host), "\(host)")
        }
        for host in [
            "127.evil.example", "127.0.0.1.evil.example", "127.0.0", "127.0.0.256", "128.0.0.1", "1270.0.0.1",
            "127.0.0.+1", "localhost.evil.example", "", "::2",
        ] {
            #expect(!LoopbackHost.contains(host), "\(host)")
        }
    }
}
