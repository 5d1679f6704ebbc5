import Testing
@testable import InboardStore

/// What a client address is counted as: one client, however its address is written, and never its whole IPv6
/// /64 (an office LAN shares one: its failures would lock every colleague out).
@Suite struct LoginThrottleAddressTests {
    @Test func oneClientIsOneKeyHoweverItsAddressIsWritten() {
        let one = LoginThrottle.client(of: "2001:db8:1:2::1")
        #expect(one == "2001:db8:1:2:0:0:0:1")
        #expect(LoginThrottle.client(of: "2001:0DB8:0001:0002:0:0:0:0001") == one)
        #expect(LoginThrottle.client(of: "2001:db8:1:2::2") != one, "a neighbour on the same /64 is another client")
        #expect(LoginThrottle.client(of: "::ffff:192.0.2.7") == "192.0.2.7", "IPv4-mapped: the IPv4 address")
        #expect(LoginThrottle.client(of: "192.0.2.7") == "192.0.2.7")
        #expect(LoginThrottle.client(of: "not an address") == "not an address")
    }
}
