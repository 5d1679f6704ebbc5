import Testing
@testable import InboardStore

/// What a client address is counted as: one client, however its address is written; its IPv6 /64 is a counter
/// of its own, with a larger budget (an office LAN shares one).
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

    @Test func anIPv6AddressesNetworkIsItsSlash64() {
        let network = LoginThrottle.network(of: "2001:db8:1:2::1")
        #expect(network == "2001:db8:1:2::/64")
        #expect(LoginThrottle.network(of: "2001:DB8:1:2:ffff:ffff:ffff:fffe") == network, "another host, same /64")
        #expect(LoginThrottle.network(of: "2001:0db8:0001:0002::") == network)
        #expect(LoginThrottle.network(of: "2001:db8:1:3::1") != network)
        #expect(LoginThrottle.network(of: "::ffff:192.0.2.7") == nil, "IPv4-mapped: an IPv4 client")
        #expect(LoginThrottle.network(of: "192.0.2.7") == nil)
        #expect(LoginThrottle.network(of: "not an address") == nil)
    }
}
