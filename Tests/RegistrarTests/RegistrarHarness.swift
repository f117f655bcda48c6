import FakeProviders
import Foundation
@_exported import TestSupport
import TributaryKafka
import Logging
import ServiceLifecycle
import ServiceSupport
import Synchronization
import Tributary
import TributaryIntegrations
import TributaryRegistrar

/// A failure of the test harness itself.
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// An embedded cluster with Tributary's topics, the fake provider APIs on loopback, a sealer, and
/// helpers to declare jobs, read `<p>.sources` and run registrars in this process.
struct RegistrarHarness: Sendable {
    static let prefix = "rg"
    static let publicURL = "https://hooks.example.test"
    let cluster: EmbeddedKafkaCluster
    let sealer: SecretSealer
    let secretKey: String
    let topics = TributaryTopics(prefix: prefix, partitions: 4)
    let fakes: FakeProviderServer
    let fakeBase: String

    /// Runs `body` with a fresh cluster and fresh fakes.
    static func with<T: Sendable>(_ body: @Sendable (RegistrarHarness) async throws -> T) async throws -> T {
        let fakes = FakeProviderServer()
        let (urls, continuation) = AsyncStream.makeStream(of: String.self)
        let server = Task { try await fakes.run(port: 0, logLevel: .critical) { continuation.yield($0) } }
        defer { server.cancel() }
        var base: String?
        for await url in urls {
            base = url
            break
        }
        guard let base else { throw HarnessError("the fake providers did not start") }
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        let key = SecretSealer.generateKey()
        let harness = RegistrarHarness(
            cluster: cluster, sealer: try SecretSealer(base64Key: key), secretKey: key, fakes: fakes, fakeBase: base)
        for topic in harness.topics.all { try cluster.createTopic(topic) }
        return try await body(harness)
    }

    /// A configuration for an in-process registrar: fast retries, admin server on a free port.
    func configuration(resync: Duration = .seconds(300), hooks: RegistrarHooks = RegistrarHooks()) -> RegistrarConfiguration {
        var configuration = RegistrarConfiguration(kafka: cluster.configuration, publicURL: Self.publicURL, sealer: sealer)
        configuration.topicPrefix = Self.prefix
        configuration.resyncInterval = resync
        configuration.retryBackoff = .milliseconds(100)
        configuration.sessionTimeout = .seconds(6)
        configuration.adminHost = "127.0.0.1"
        configuration.adminPort = 0
        configuration.hooks = hooks
        return configuration
    }

    /// The integrations against the fakes; `stripeAttempts` is how often the Stripe, Typeform, Shopify and
    /// Linear clients themselves try a call.
    func catalog(stripeAttempts: Int = 4, credentials: Bool = true) throws -> IntegrationCatalog {
        var environment = ["STRIPE_API_BASE": fakeBase, "GITHUB_API_BASE": fakeBase]
        if credentials {
            environment["STRIPE_API_KEY"] = fakes.stripe.apiKey
            environment["GITHUB_TOKEN"] = fakes.github.token
        }
        var catalog = try IntegrationCatalog.fromEnvironment(environment)
        if credentials {
            let policy = RetryPolicy(
                maxAttempts: stripeAttempts, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50), maxRetryAfter: .seconds(1))
            catalog.stripe = StripeIntegration(
                configuration: StripeConfiguration(
                    apiKey: fakes.stripe.apiKey, apiBase: fakeBase, retryPolicy: policy, requestTimeout: .seconds(5)))
            catalog[TypeformIntegration.self] = TypeformIntegration(
                configuration: TypeformConfiguration(token: fakes.typeform.token, apiBase: fakeBase, retryPolicy: policy))
            catalog[ShopifyIntegration.self] = ShopifyIntegration(
                configuration: ShopifyConfiguration(token: fakes.shopify.token, apiBase: fakeBase, retryPolicy: policy))
            catalog[LinearIntegration.self] = LinearIntegration(
                configuration: LinearConfiguration(apiKey: fakes.linear.apiKey, apiBase: fakeBase, retryPolicy: policy))
        }
        return catalog
    }

    /// The environment a `registrar` child process needs.
    func childEnvironment(adminPort: Int = 0) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["KAFKA_BROKERS"] = cluster.bootstrapServers
        environment["TRIBUTARY_TOPIC_PREFIX"] = Self.prefix
        environment["TRIBUTARY_SECRET_KEY"] = secretKey
        environment["PUBLIC_URL"] = Self.publicURL
        environment["STRIPE_API_KEY"] = fakes.stripe.apiKey
        environment["STRIPE_API_BASE"] = fakeBase
        environment["GITHUB_TOKEN"] = fakes.github.token
        environment["GITHUB_API_BASE"] = fakeBase
        environment["REGISTRAR_ADMIN_HOST"] = "127.0.0.1"
        environment["REGISTRAR_ADMIN_PORT"] = "\(adminPort)"
        environment["REGISTRAR_SESSION_TIMEOUT"] = "6s"
        environment["REGISTRAR_RETRY_BACKOFF"] = "100ms"
        return environment
    }

    static let stripeSource = TriggerSource(
        channel: .http, id: "stripe.webhook", version: "1", key: "stripe.webhook", params: ["connect": false])

    /// Declares a job's trigger on `<p>.triggers`, as a runner does.
    func declare(job: String, events: [String], source: TriggerSource = stripeSource, eventSource: String = "stripe.com") async throws {
        let declaration = TriggerDeclaration(
            jobId: job, jobName: job, version: "1.0.0", source: source, eventSource: eventSource, events: events, filter: .all)
        try await send(KafkaProducerMessage(topic: topics.triggers.name, record: try declaration.record()))
    }

    /// Removes a job's declaration (a tombstone, as `tributary jobs rm` writes).
    func remove(job: String) async throws {
        try await send(KafkaProducerMessage(topic: topics.triggers.name, key: job, value: nil))
    }

    /// Writes a source state directly, as something other than the registrar would (a state left by
    /// an older version, or sealed with another key): only the registrar's leader writes `<p>.sources`.
    func write(_ state: SourceState, sealer: SecretSealer? = nil) async throws {
        try await send(KafkaProducerMessage(topic: topics.sources.name, record: try state.record(sealer: sealer ?? self.sealer)))
    }

    func send(_ message: KafkaProducerMessage) async throws {
        var quiet = Logger(label: "test.producer")
        quiet.logLevel = .error
        let producer = try KafkaProducer(configuration: cluster.configuration, logger: quiet)
        try await producer.send(message)
        await producer.shutdown()
    }

    /// Sends a command, as `tributary sources …` does, and waits for its result (generously: the
    /// machine may be loaded; the tool itself waits 5 s).
    func command(_ command: CommandRecord, timeout: Duration = .seconds(30)) async throws -> CommandResult {
        let client = try commandClient()
        do {
            let result = try await client.send(command, timeout: timeout)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// A client for `<p>.commands`; shut it down when done.
    func commandClient() throws -> CommandClient {
        var quiet = Logger(label: "test.commands")
        quiet.logLevel = .error
        return try CommandClient(configuration: cluster.configuration, topics: topics, logger: quiet)
    }

    /// `set-secret` for a source, the secret sealed with `sealer` (the harness's key by default).
    func setSecret(_ key: String, _ secret: String, sealer: SecretSealer? = nil) throws -> CommandRecord {
        .setSecret(source: key, sealedSecret: try (sealer ?? self.sealer).seal(secret), issuedBy: "test@harness")
    }

    /// Every command and result on `<p>.commands` now, in order.
    func commandRecords() async throws -> [CommandTopicRecord] {
        try await records(topics.commands.name).compactMap { try? CommandTopicRecord(record: WireRecord($0)) }
    }

    /// The results on `<p>.commands` now, by command id (in order).
    func results() async throws -> [String: [CommandResult]] {
        var results: [String: [CommandResult]] = [:]
        for case .result(let result) in try await commandRecords() { results[result.commandId, default: []].append(result) }
        return results
    }

    /// Every record on a topic now, in order.
    func records(_ topic: String) async throws -> [KafkaMessage] {
        var quiet = Logger(label: "test.reader")
        quiet.logLevel = .error
        let reader = try KafkaTopicReader(configuration: cluster.configuration, topic: topic, logger: quiet)
        var messages: [KafkaMessage] = []
        for await event in reader {
            switch event {
            case .message(let message): messages.append(message)
            case .caughtUp:
                await reader.close()
                return messages
            }
        }
        return messages
    }

    /// Every state written for a source key, oldest first.
    func history(_ key: String) async throws -> [SourceState] {
        try await records(topics.sources.name).filter { $0.keyString == key && $0.value != nil }.map {
            try SourceState(record: WireRecord($0), sealer: sealer)
        }
    }

    /// The newest state of a source key.
    func state(_ key: String) async throws -> SourceState? { try await history(key).last }

    /// The fake's only Stripe endpoint; throws when there is none or more than one.
    func onlyEndpoint() throws -> FakeStripeAPI.Endpoint {
        let endpoints = fakes.stripe.endpoints
        guard endpoints.count == 1 else { throw HarnessError("expected one endpoint, found \(endpoints.count)") }
        return endpoints[0]
    }

    /// Whether the fake has exactly one endpoint (not `except`), and the active state of `key` holds its id and secret.
    func stateMatchesTheOnlyEndpoint(_ key: String, except: String? = nil) async throws -> Bool {
        let endpoints = fakes.stripe.endpoints
        guard endpoints.count == 1, endpoints[0].id != except, let state = try await state(key) else { return false }
        return state.active && state.secret == endpoints[0].secret && state.data["id"]?.stringValue == endpoints[0].id
    }

    /// Starts a registrar in this process.
    func start(
        _ configuration: RegistrarConfiguration, catalog: IntegrationCatalog, name: String = "registrar"
    ) async throws -> RunningRegistrar {
        var logger = Logger(label: "test.\(name)")
        logger.logLevel = ProcessInfo.processInfo.environment["TEST_LOG"] == nil ? .critical : .debug
        let registrar = try await buildRegistrar(configuration: configuration, catalog: catalog, logger: logger)
        let group = ServiceGroup(services: registrar.services, logger: logger)
        return RunningRegistrar(registrar: registrar, group: group, task: Task { try await group.run() })
    }
}

/// A registrar running in this process, in its own service group.
struct RunningRegistrar: Sendable {
    let registrar: BuiltService<RegistrarMetrics>
    let group: ServiceGroup
    let task: Task<Void, any Error>

    /// Shuts it down gracefully and waits until it stopped.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    /// Whether it leads now, by its `tributary_registrar_leader` gauge.
    var isLeader: Bool { leaderGauge(metricsText) == 1 }

    /// Its metrics in Prometheus text format.
    var metricsText: String { registrar.metrics.render() }
}

/// The value of `tributary_registrar_leader` in a Prometheus text exposition.
func leaderGauge(_ text: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix("tributary_registrar_leader ") {
        return Double(line.dropFirst("tributary_registrar_leader ".count))
    }
    return nil
}
