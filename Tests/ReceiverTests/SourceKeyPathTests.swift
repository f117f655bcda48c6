import Testing

@testable import TributaryReceiver

/// The source key a `POST /sources/…` path names.
@Suite("receiver: the source key of a path")
struct SourceKeyPathTests {
    @Test(
        "segments are percent-decoded and joined with '/'; empty ones are left out; a broken escape stays as written; no segment is no key",
        arguments: [
            (["stripe.webhook"], "stripe.webhook"),
            (["acme%2Fweb"], "acme/web"),
            (["owner", "repo"], "owner/repo"),
            (["owner", "", "repo"], "owner/repo"),
            (["a%20b", "c%2Fd"], "a b/c/d"),
            (["100%"], "100%"),
            ([""], nil),
            (["", ""], nil),
            ([], nil),
        ] as [([String], String?)])
    func key(_ segments: [String], _ expected: String?) {
        #expect(sourceKey(fromCatchAll: segments) == expected)
        #expect(sourceKey(fromCatchAll: segments.map { Substring($0) }) == expected)
    }
}
