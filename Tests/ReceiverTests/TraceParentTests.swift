import Testing

@testable import TributaryReceiver

/// `TraceParent`: what a received event's `traceparent` header is.
@Suite("traceparent of a received event: carried when valid, started otherwise")
struct TraceParentTests {
    @Test("a valid version-00 header is carried as it is")
    func carried() {
        let header = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        #expect(TraceParent.carryOrStart(header) == header)
    }

    @Test(
        "a malformed header, or none, starts a new sampled trace",
        arguments: [
            nil, "", "garbage", "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra", "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ])
    func started(_ header: String?) {
        let started = TraceParent.carryOrStart(header)
        #expect(started != header && TraceParent.isValid(started) && started.hasSuffix("-01"), "\(started)")
        #expect(TraceParent.carryOrStart(header) != started, "each is a new trace")
    }
}
