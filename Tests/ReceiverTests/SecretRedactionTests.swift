import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing
import Tributary
import TributaryIntegrations
import TributaryKafka

/// A `url-token.<name>` source's token (`?token=`) through the live receiver: accepted when right,
/// 401 publishing nothing when wrong or missing, and never in a log line (at trace level, the HTTP
/// server's included) or a metrics label. The key is read from the path only, so a key with `/` and a
/// token do not mix. (A request span records the path without its query, so no token reaches a trace.)
@Suite("receiver: the secret token in the URL", .serialized)
struct SecretRedactionTests {
    static let token = "tok3n-0123456789abcdef"

    @Test("a token in the URL is checked and appears in no log line and no metrics label")
    func tokenIsCheckedAndRedacted() async throws {
        let harness = try ReceiverHarness()
        defer { harness.cluster.shutdown() }
        try await harness.writeSource(
            SourceState(key: "url-token.acme", sourceId: "url-token", params: ["name": "acme"], active: true, secret: Self.token))
        let lines = CapturedLines()
        let logger = Logger(label: "receiver-redaction") { _ in CapturingLogHandler(lines: lines) }
        let app = try await harness.receiver(publicURL: "https://hooks.example.com", logger: logger)
        let body = Array(#"{"type":"order.paid"}"#.utf8)
        try await app.test(.live) { client in
            try await client.waitUntilReady()
            let accepted = try await client.execute(
                uri: "/sources/url-token.acme?token=\(Self.token)", method: .post, body: ByteBuffer(bytes: body)
            ) { $0 }
            #expect(accepted.status == .ok)
            for uri in ["/sources/url-token.acme?token=\(Self.token)x", "/sources/url-token.acme", "/sources/url-token.acme/\(Self.token)"]
            {
                let refused = try await client.execute(uri: uri, method: .post, body: ByteBuffer(bytes: body)) { $0 }
                #expect(refused.status == (uri.hasSuffix(Self.token) ? .notFound : .unauthorized), "\(uri)")
                // (A 404 names the key it was given back to the sender; a 401 never shows the token.)
                if refused.status == .unauthorized { #expect(!String(buffer: refused.body).contains(Self.token)) }
            }
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains(#"tributary_receiver_requests_total{source="url-token.acme",outcome="accepted"} 1"#))
            #expect(metrics.contains(#"tributary_receiver_signature_failures_total{source="url-token.acme"} 2"#))
            #expect(!metrics.contains(Self.token), "a metrics label holds the token")
        }
        let events = try await harness.publishedEvents()
        #expect(events.count == 1, "the refused deliveries published nothing")
        let all = lines.all
        #expect(all.contains { $0.contains("webhook rejected") }, "the rejections were logged")
        #expect(!all.contains { $0.contains(Self.token) }, "a log line holds the token: \(all.filter { $0.contains(Self.token) })")
    }
}

/// Log lines kept for a test.
final class CapturedLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

/// Keeps every line at trace level and above, with its metadata.
struct CapturingLogHandler: LogHandler {
    let lines: CapturedLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        for (key, value) in event.metadata ?? [:] { all[key] = value }
        lines.append("\(event.level) \(event.message) \(all)")
    }
}
