import AsyncHTTPClient
import ExampleJobs
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import ServiceSupport
import Synchronization
import Tributary
import TributaryConsole
import TributaryIntegrations
import TributaryKafka
import TributaryReceiver
import TributaryRunner

/// The receiver, a runner with the example jobs and the console in one `ServiceGroup` on the
/// harness's embedded cluster, with real HTTP on loopback: what the live and browser tests drive.
struct ConsoleSystem: Sendable {
    static let stripeSecret = "whsec_consolelivetest"
    let harness: ConsoleHarness
    let sealer: SecretSealer
    let receiverPort: Int
    let consolePort: Int
    let console: ConsoleParts
    let group: ServiceGroup
    let running: Task<Void, any Error>

    /// Starts everything (the console alone with `withReceiverAndRunner: false`), once the stripe
    /// source is on `<p>.sources`, and returns when the runner consumes and both servers listen.
    static func start(_ harness: ConsoleHarness, sealer: SecretSealer, withReceiverAndRunner: Bool = true) async throws -> ConsoleSystem {
        let logger = TestLogging.logger("console-system")
        let ports = Mutex<[String: Int]>([:])
        var services: [any Service] = []
        var runnerService: RunnerService?
        if withReceiverAndRunner {
            var runnerConfiguration = RunnerConfiguration(
                kafka: harness.cluster.configuration, topicPrefix: harness.topics.prefix, adminPort: 0, adminHost: "127.0.0.1",
                printRunLogs: false, defaultStartPosition: .earliest)
            runnerConfiguration.adminPort = 0
            let runner = try buildRunner(configuration: runnerConfiguration, jobs: ExampleJobs.all, logger: logger)
            runnerService = runner.parts
            services += runner.services
        }
        let console = try await buildConsole(configuration: harness.configuration(), catalog: ConsoleHarness.catalog, logger: logger) {
            port in
            ports.withLock { $0["console"] = port }
        }
        services += console.services
        if withReceiverAndRunner {
            var receiverConfiguration = ReceiverConfiguration(kafka: harness.cluster.configuration, sealer: sealer)
            receiverConfiguration.topicPrefix = harness.topics.prefix
            receiverConfiguration.partitions = harness.topics.partitions
            receiverConfiguration.host = "127.0.0.1"
            receiverConfiguration.port = 0
            let catalog = try IntegrationCatalog.fromEnvironment([:])
            let receiver = try await buildReceiver(configuration: receiverConfiguration, sources: catalog.sources, logger: logger) { port in
                ports.withLock { $0["receiver"] = port }
            }
            services += receiver.services
        }
        let group = ServiceGroup(services: services, logger: logger)
        let running = Task { try await group.run() }
        try await eventually("the servers listen and the runner consumes", timeout: .seconds(90)) {
            let listening = ports.withLock { $0["console"] != nil && (!withReceiverAndRunner || $0["receiver"] != nil) }
            return listening && (runnerService?.isReady ?? true) && console.parts.projection.isCaughtUp
        }
        let bound = ports.withLock { $0 }
        return ConsoleSystem(
            harness: harness, sealer: sealer, receiverPort: bound["receiver"] ?? 0, consolePort: bound["console"] ?? 0,
            console: console.parts, group: group, running: running)
    }

    /// Stops every service gracefully and waits for them.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }

    /// The stripe source as the registrar writes it: active, with its signing secret (sealed).
    static func writeStripeSource(_ harness: ConsoleHarness, sealer: SecretSealer) async throws {
        let state = SourceState(
            key: "stripe.webhook", sourceId: "stripe.webhook", params: ["connect": false], active: true,
            url: "https://hooks.example.com/sources/stripe.webhook", secret: stripeSecret, registered: ["event": ["price.created"]])
        try await harness.publish(try state.record(sealer: sealer), to: harness.topics.sources.name)
    }

    /// A Stripe `price.created` delivery signed with `secret`.
    static func stripePriceCreated(id: String, secret: String = stripeSecret) -> (body: [UInt8], signature: String) {
        let now = Int(Date().timeIntervalSince1970)
        let body = Array(
            """
            {"id":"\(id)","object":"event","api_version":"2024-06-20","created":\(now),"livemode":false,"pending_webhooks":1,"request":{"id":"req_1","idempotency_key":null},"type":"price.created","data":{"object":{"id":"price_\(id)","object":"price","active":true,"currency":"eur","unit_amount":1200,"product":"prod_1","type":"one_time","livemode":false,"created":\(now)}}}
            """.utf8)
        return (body, StripeSignature.header(body: body, secrets: [secret], timestamp: Int64(now)))
    }

    /// POSTs a Stripe delivery to the receiver over loopback; returns the status.
    func postStripe(id: String, secret: String = stripeSecret) async throws -> Int {
        let (body, signature) = Self.stripePriceCreated(id: id, secret: secret)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(receiverPort)/sources/stripe.webhook")
        request.method = .POST
        request.headers.add(name: "Stripe-Signature", value: signature)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }
}
