import AsyncHTTPClient
import FakeProviders
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization
import Testing
import Tributary
@testable import TributaryIntegrations

/// A stand-in for the receiver: `POST /sources/{key}` runs the source's handler on the state the
/// registration produced and answers as the receiver would (the handler's response, or the rejection's status).
final class LoopbackReceiver: Sendable {
    let source: AnyExternalSource
    let state: Mutex<SourceState?> = Mutex(nil)
    let events: Mutex<[EventRecord]> = Mutex([])

    init(source: AnyExternalSource) { self.source = source }

    func run(onRunning: @escaping @Sendable (String) async -> Void) async throws {
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            let headers = request.headers.map { (name: $0.name.canonicalName, value: $0.value) }
            guard let state = self.state.withLock({ $0 }) else { return Response(status: .notFound) }
            do {
                let result = try await self.source.handle(
                    SourceRequest(path: request.uri.path, headers: headers, body: Array(body.readableBytesView)), state: state)
                self.events.withLock { $0 += result.events }
                return Response(status: .init(code: result.response?.status ?? 200))
            } catch let rejection as SourceRejection {
                return Response(status: .init(code: rejection.status))
            }
        }
        var logger = Logger(label: "loopback-receiver")
        logger.logLevel = .critical
        let app = Application(
            responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { await onRunning("http://127.0.0.1:\($0.localAddress?.port ?? 0)") }, logger: logger)
        try await app.run()
    }
}

func post(_ url: String, json: String) async throws -> [String: Any] {
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    request.body = .bytes(ByteBuffer(string: json))
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
    let body = try await response.body.collect(upTo: 1 << 20)
    return try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] ?? [:]
}

@Suite struct DeliveryTests {
    @Test func stripeDeliversToTheRegisteredEndpointAndOurHandlerAcceptsIt() async throws {
        try await withFakeProviders { server, base in
            let stripe = StripeIntegration(
                configuration: StripeConfiguration(apiKey: "sk_test_fake", apiBase: base, retryPolicy: testRetryPolicy))
            let receiver = LoopbackReceiver(source: stripe.source.erased)
            let (urls, continuation) = AsyncStream.makeStream(of: String.self)
            let task = Task { try await receiver.run { continuation.yield($0) } }
            defer { task.cancel() }
            let receiverURL = try await firstValue(of: urls, within: .seconds(20), what: "the receiver")

            var sim = RegistrarSimulator(source: stripe.source, params: StripeSourceParams(), url: receiverURL + "/sources/stripe.webhook")
            try await sim.register(["charge.succeeded"])
            receiver.state.withLock {
                $0 = SourceState(
                    key: sim.key, sourceId: "stripe.webhook", params: try! JSON(encoding: StripeSourceParams()), active: true, url: sim.url,
                    secret: sim.secret, data: sim.data)
            }
            let answer = try await post(
                base + "/_fake/stripe/deliver",
                json:
                    #"{"type":"charge.succeeded","object":{"id":"ch_9","object":"charge","amount":700,"currency":"eur","status":"succeeded"}}"#
            )
            let deliveries = answer["deliveries"] as? [[String: Any]] ?? []
            #expect(deliveries.map { $0["status"] as? Int } == [200])
            let events = receiver.events.withLock { $0 }
            #expect(events.map(\.name) == ["charge.succeeded"])
            #expect(try StripeEvents.chargeSucceeded.parse(events[0].payload).amount == 700)
            // An event type the endpoint does not have is not sent.
            let none = try await post(base + "/_fake/stripe/deliver", json: #"{"type":"price.created","object":{"id":"price_1"}}"#)
            #expect((none["deliveries"] as? [Any])?.isEmpty == true)
            // After losing the secret (a re-registration replaced the endpoint), old state no longer verifies.
            sim.secret = nil
            try await sim.register(["charge.succeeded"])
            let stale = try await post(
                base + "/_fake/stripe/deliver",
                json:
                    #"{"type":"charge.succeeded","object":{"id":"ch_10","object":"charge","amount":1,"currency":"eur","status":"succeeded"}}"#
            )
            #expect((stale["deliveries"] as? [[String: Any]])?.map { $0["status"] as? Int } == [401])
        }
    }

    @Test func githubDeliversToTheRegisteredHookAndOurHandlerAcceptsIt() async throws {
        try await withFakeProviders { server, base in
            let github = GitHubIntegration(
                configuration: GitHubConfiguration(token: "ghp_fake", apiBase: base, retryPolicy: testRetryPolicy))
            let receiver = LoopbackReceiver(source: github.source.erased)
            let (urls, continuation) = AsyncStream.makeStream(of: String.self)
            let task = Task { try await receiver.run { continuation.yield($0) } }
            defer { task.cancel() }
            let receiverURL = try await firstValue(of: urls, within: .seconds(20), what: "the receiver")
            let params = GitHubSourceParams(.repository(owner: "acme", name: "web"))
            var sim = RegistrarSimulator(source: github.source, params: params, url: receiverURL + "/sources/acme/web")
            try await sim.register(["push"])
            receiver.state.withLock {
                $0 = SourceState(
                    key: sim.key, sourceId: "github.webhook", params: try! JSON(encoding: params), active: true, url: sim.url,
                    secret: sim.secret, data: sim.data)
            }
            let ping = try await post(
                base + "/_fake/github/deliver",
                json: #"{"owner":"repos/acme/web","event":"ping","payload":{"zen":"Speak like a human.","hook_id":1}}"#)
            #expect((ping["deliveries"] as? [[String: Any]])?.map { $0["status"] as? Int } == [200])
            let push = try await post(
                base + "/_fake/github/deliver",
                json:
                    #"{"owner":"repos/acme/web","event":"push","payload":{"ref":"refs/heads/main","repository":{"full_name":"acme/web"}}}"#)
            #expect((push["deliveries"] as? [[String: Any]])?.map { $0["status"] as? Int } == [200])
            let events = receiver.events.withLock { $0 }
            #expect(events.map(\.name) == ["push"], "the ping ran nothing")
            #expect(events.first?.payload["ref"] == "refs/heads/main")
        }
    }
}
