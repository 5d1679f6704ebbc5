import Testing
@testable import InboardStore

/// What a client address is counted as: one host usually holds a whole IPv6 /64, so counting each address let
/// it spray passwords without limit from its own network.
@Suite struct LoginThrottleAddressTests {
    @Test func anIPv6AddressCountsAsItsSlash64() {
        let one = LoginThrottle.network(of: "2001:db8:1:2::1")
        #expect(one == "2001:db8:1:2::/64")
        #expect(LoginThrottle.network(of: "2001:0db8:0001:0002:ffff:1234:5678:9abc") == one)
        #expect(LoginThrottle.network(of: "2001:db8:1:3::1") != one)
        #expect(LoginThrottle.network(of: "::ffff:192.0.2.7") == "192.0.2.7", "IPv4-mapped: the IPv4 address")
        #expect(LoginThrottle.network(of: "192.0.2.7") == "192.0.2.7")
        #expect(LoginThrottle.network(of: "not an address") == "not an address")
    }
}
