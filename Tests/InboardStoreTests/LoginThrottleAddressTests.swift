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

    /// Prefixes that are not one client's network: a NAT64 gateway's (its clients are IPv4 addresses), Teredo's
    /// (a relay's), loopback and link-local; 6to4 gives one IPv4 address a whole /48.
    @Test func specialPrefixesAreCountedAsWhatTheyCarry() {
        #expect(LoginThrottle.client(of: "64:ff9b::c000:207") == "192.0.2.7", "NAT64: the IPv4 client")
        #expect(LoginThrottle.network(of: "64:ff9b::c000:207") == nil)
        #expect(LoginThrottle.network(of: "64:ff9b::c000:208") == nil, "NAT64 clients are not one network")
        #expect(LoginThrottle.client(of: "64:ff9b:1:2a::c000:207") == "192.0.2.7", "a local-use translator's /96")
        #expect(LoginThrottle.network(of: "64:ff9b:1:2a::c000:207") == nil)
        #expect(LoginThrottle.network(of: "2001:0:4136:e378:8000:63bf:3fff:fdd2") == nil, "Teredo")
        #expect(LoginThrottle.network(of: "::1") == nil)
        #expect(LoginThrottle.network(of: "fe80::1") == nil)
        #expect(LoginThrottle.network(of: "febf::1") == nil)
        let sixToFour = LoginThrottle.network(of: "2002:c000:207:1::1")
        #expect(sixToFour == "2002:c000:207::/48")
        #expect(LoginThrottle.network(of: "2002:c000:207:ffff::9") == sixToFour, "another /64 of the same 6to4 /48")
        #expect(LoginThrottle.network(of: "fec0::1") == "fec0:0:0:0::/64", "not link-local")
    }
}
