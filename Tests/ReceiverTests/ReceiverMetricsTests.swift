import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ServiceSupport
import Synchronization
import Testing
import Tributary
import TributaryIntegrations
import TributaryReceiver

@Suite("receiver: /metrics and the admin port", .serialized)
struct ReceiverMetricsTests {
    @Test("/metrics: request latency by status code, tributary_build_info and the process metrics read from /proc")
    func scrape() async throws {
        let harness = try ReceiverHarness()
        defer { harness.cluster.shutdown() }
        try await harness.writeSource(ReceiverHarness.stripeState)
        let app = try await harness.receiver()
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            let (body, signature) = ReceiverHarness.stripePriceCreated()
            let header = HTTPField.Name("Stripe-Signature")!
            let accepted = try await client.postWebhook("stripe.webhook", body: body, headers: [header: signature])
            #expect(accepted.status == .ok)
            let forged = try await client.postWebhook("stripe.webhook", body: body, headers: [header: "t=1,v1=00"])
            #expect(forged.status == .unauthorized)
            let unknown = try await client.postWebhook("nothing", body: body, headers: [:])
            #expect(unknown.status == .notFound)

            let text = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            let samples = Self.samples(text)
            #expect(samples[#"tributary_receiver_request_duration_seconds_count{code="200"}"#] == 1)
            #expect(samples[#"tributary_receiver_request_duration_seconds_count{code="401"}"#] == 1)
            #expect(samples[#"tributary_receiver_request_duration_seconds_count{code="404"}"#] == 1)
            #expect(samples[#"tributary_receiver_request_duration_seconds_bucket{code="200",le="+Inf"}"#] == 1)
            #expect(text.contains("# TYPE tributary_receiver_request_duration_seconds histogram"))
            #expect(samples[#"tributary_build_info{version="0.1.0",swift="6.3"}"#] == 1)
            #expect(text.contains("# TYPE process_cpu_seconds_total counter"))
            #expect((samples["process_cpu_seconds_total"] ?? 0) > 0, "the test process has used CPU")
            #expect((samples["process_resident_memory_bytes"] ?? 0) > 10_000_000, "\(samples["process_resident_memory_bytes"] ?? -1)")
            #expect((samples["process_virtual_memory_bytes"] ?? 0) >= (samples["process_resident_memory_bytes"] ?? 0))
            let openFds = try #require(samples["process_open_fds"])
            #expect(openFds > 3 && openFds <= (samples["process_max_fds"] ?? 0))
            let started = try #require(samples["process_start_time_seconds"])
            #expect(started <= Date().timeIntervalSince1970 && started > Date().timeIntervalSince1970 - 86_400)
        }
    }

    @Test("/proc/self/stat is parsed past a command name with spaces and parentheses; other text is nil")
    func statParsing() {
        let line =
            "4242 (my (odd) name) S 1 4242 4242 0 -1 4194304 2000 0 0 0 250 50 0 0 20 0 9 0 12345 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0"
        let stat = ProcessStat.parse(line, ticksPerSecond: 100, pageSize: 4096)
        #expect(stat?.cpuSeconds == 3.0)
        #expect(stat?.startedAfterBootSeconds == 123.45)
        #expect(stat?.virtualBytes == 104_857_600)
        let resident: Double = 2560 * 4096
        #expect(stat?.residentBytes == resident)
        #expect(ProcessStat.parse("not a stat line", ticksPerSecond: 100, pageSize: 4096) == nil)
        #expect(ProcessStat.parse("1 (short) S 1 2", ticksPerSecond: 100, pageSize: 4096) == nil)
    }

    @Test("RECEIVER_ADMIN_PORT moves /healthz, /readyz and /metrics off the public port")
    func adminPort() async throws {
        let harness = try ReceiverHarness()
        defer { harness.cluster.shutdown() }
        var configuration = harness.configuration()
        configuration.adminPort = 0
        configuration.adminHost = "127.0.0.1"
        let adminPort = Mutex<Int?>(nil)
        let receiver = try await buildReceiver(
            configuration: configuration, sources: try IntegrationCatalog.fromEnvironment([:]).sources,
            logger: TestLogging.logger("receiver-admin-test"), onAdminRunning: { port in adminPort.withLock { $0 = port } })
        var application = receiver.parts.application
        application.addServices(receiver.services.dropLast())
        try await application.test(.router) { client in
            try await eventually("the admin server is listening") { adminPort.withLock { $0 } != nil }
            let port = try #require(adminPort.withLock { $0 })
            for path in ["/metrics", "/healthz", "/readyz"] {
                let status = try await client.execute(uri: path, method: .get) { $0.status }
                #expect(status == .notFound, "\(path) is still on the public port")
            }
            try await TestClient.withClient(host: "127.0.0.1", port: port) { admin in
                #expect(try await admin.get("/healthz").status == .ok)
                try await eventually("the receiver is ready on the admin port") { try await admin.get("/readyz").status == .ok }
                let metrics = try await admin.get("/metrics")
                #expect(metrics.status == .ok)
                #expect(metrics.body.map { String(buffer: $0) }?.contains("tributary_build_info") == true)
            }
        }
    }

    @Test("RECEIVER_ADMIN_PORT: not a number, out of range or the public port is refused naming the variable")
    func adminPortConfiguration() throws {
        let base = ["KAFKA_BROKERS": "127.0.0.1:9092", "TRIBUTARY_SECRET_KEY": SecretSealer.generateKey()]
        for (value, expected) in [
            ("abc", "RECEIVER_ADMIN_PORT=abc is not a whole number"), ("70000", "RECEIVER_ADMIN_PORT=70000 is out of range"),
            ("8080", "RECEIVER_ADMIN_PORT=8080 is the public RECEIVER_PORT"),
        ] {
            let environment = ServiceEnvironment(base.merging(["RECEIVER_ADMIN_PORT": value]) { $1 })
            #expect {
                try ReceiverConfiguration.fromEnvironment(environment)
            } throws: { error in
                "\(error)".contains(expected) && (error as? ConfigurationError)?.variable == "RECEIVER_ADMIN_PORT"
            }
        }
        let unset = try ReceiverConfiguration.fromEnvironment(ServiceEnvironment(base))
        #expect(unset.adminPort == nil)
        let set = try ReceiverConfiguration.fromEnvironment(ServiceEnvironment(base.merging(["RECEIVER_ADMIN_PORT": "9090"]) { $1 }))
        #expect(set.adminPort == 9090)
    }

    /// `name{labels} value` lines of a Prometheus text, by `name{labels}`.
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }
}
