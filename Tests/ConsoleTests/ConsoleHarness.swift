import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceLifecycle
import ServiceSupport
import Tributary
import TributaryConsole
import TributaryIntegrations
import TributaryKafka

/// An embedded cluster with Tributary's topics, a console database in a folder of its own, and
/// helpers to build the console, publish records and read topics back.
struct ConsoleHarness: Sendable {
    static let password = "console-test-password"
    let cluster: EmbeddedKafkaCluster
    let topics = ConsoleFixtures.topics
    let databasePath: String
    let cleanup: @Sendable () -> Void

    init() throws {
        TestLogging.bootstrap()
        cluster = try EmbeddedKafkaCluster()
        for topic in topics.all { try cluster.createTopic(topic) }
        (databasePath, cleanup) = ConsoleFixtures.databasePath()
    }

    func shutdown() {
        cluster.shutdown()
        cleanup()
    }

    func configuration(port: Int = 0) -> ConsoleConfiguration {
        var configuration = ConsoleConfiguration(kafka: cluster.configuration, password: Self.password)
        configuration.topicPrefix = topics.prefix
        configuration.partitions = topics.partitions
        configuration.host = "127.0.0.1"
        configuration.port = port
        configuration.databasePath = databasePath
        return configuration
    }

    /// The Testing UI's catalog in these tests: the providers' events and one of the example shop's.
    static let catalog: [ProviderEvent] = Providers.events

    /// The console's application with its other services attached, for HummingbirdTesting's `.router`.
    func application(sealer: SecretSealer? = nil) async throws -> (app: some ApplicationProtocol, parts: ConsoleParts) {
        var configuration = configuration()
        configuration.sealer = sealer
        let console = try await buildConsole(
            configuration: configuration, catalog: Self.catalog, logger: TestLogging.logger("console-test"))
        var application = console.parts.application
        application.addServices(console.services.filter { !($0 is Application<RouterResponder<ConsoleRequestContext>>) })
        return (application, console.parts)
    }

    /// Publishes `record` to `topic` (at `partition`).
    func publish(_ record: WireRecord, to topic: String, partition: Int32? = nil) async throws {
        let producer = try KafkaProducer(configuration: cluster.configuration)
        _ = try await producer.send(KafkaProducerMessage(topic: topic, partition: partition, record: record))
        await producer.shutdown()
    }

    /// Every message on `topic` now.
    func messages(_ topic: String) async throws -> [KafkaMessage] {
        let reader = try KafkaTopicReader(configuration: cluster.configuration, topic: topic)
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
}

/// A logged-in test client: its session cookie and CSRF token.
struct ConsoleLogin: Sendable {
    var cookie: String
    var csrf: String
}

extension TestClientProtocol {
    /// Polls `/readyz` until the projection caught up and the producer is connected.
    func waitUntilReady() async throws {
        try await eventually("the console is ready") {
            try await execute(uri: "/readyz", method: .get) { $0.status == .ok }
        }
    }

    /// Logs in with the API (`POST /login` with JSON), as `user` when given: the cookie and the CSRF token.
    func login(_ password: String = ConsoleHarness.password, user: String? = nil) async throws -> ConsoleLogin {
        var fields: [String: JSON] = ["password": .string(password)]
        if let user { fields["user"] = .string(user) }
        return try await execute(
            uri: "/login", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(string: JSON.object(fields).jsonString)
        ) { response in
            let setCookie = response.headers[.setCookie] ?? ""
            let cookie = String(setCookie.split(separator: ";").first ?? "")
            let csrf = (try? JSON(parsing: Array(response.body.readableBytesView)))?["csrf"]?.stringValue ?? ""
            return ConsoleLogin(cookie: cookie, csrf: csrf)
        }
    }

    /// A GET with the session.
    func get(_ uri: String, as login: ConsoleLogin) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: [.cookie: login.cookie]) { $0 }
    }

    /// A form POST with the session and (unless `csrf` is false) its CSRF token.
    func postForm(_ uri: String, _ fields: [(String, String)], as login: ConsoleLogin, csrf: Bool = true) async throws -> TestResponse {
        let all = csrf ? fields + [("csrf", login.csrf)] : fields
        let body = all.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.1)" }.joined(separator: "&")
        return try await execute(
            uri: uri, method: .post, headers: [.cookie: login.cookie, .contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: body)
        ) { $0 }
    }
}

import HTTPTypes
