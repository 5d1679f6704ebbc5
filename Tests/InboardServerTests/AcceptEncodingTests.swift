import Testing

@testable import InboardServer

@Suite struct AcceptEncodingTests {
    @Test(arguments: [
        (["gzip"], true), (["gzip, deflate, br"], true), (["br;q=1.0, GZip;q=0.5"], true), (["x-gzip"], true),
        (["deflate", "gzip"], true), (["*"], true), (["br, *;q=0.2"], true), (["x-gzip;q=0, gzip"], true),
        ([], false), ([""], false), (["identity"], false), (["br, deflate"], false), (["gzip;q=0"], false),
        (["gzip; q=0.000"], false), (["*, gzip;q=0"], false), (["*;q=0"], false), (["gzip;q=abc"], false),
    ])
    func gzipIsTakenOnlyWhenTheClientSaysSo(values: [String], allowed: Bool) {
        #expect(AcceptEncoding.allowsGzip(values) == allowed, "\(values)")
    }
}
