import FakeProviders
import Foundation
import Testing
import Tributary
@testable import TributaryIntegrations

@Suite struct StripeRegistrationTests {
    let url = "https://hooks.acme.example/sources/stripe.webhook"

    func simulator(_ base: String, connect: Bool = false) -> RegistrarSimulator<StripeSourceParams> {
        let stripe = StripeIntegration(
            configuration: StripeConfiguration(apiKey: "sk_test_fake", apiBase: base, retryPolicy: testRetryPolicy))
        return RegistrarSimulator(source: stripe.source, params: StripeSourceParams(connect: connect), url: url)
    }

    func mutations(_ fake: FakeStripeAPI) -> [FakeRequestRecord] { fake.requests.filter { $0.method != "GET" } }

    @Test func firstRegistrationCreatesOneEndpointAndKeepsItsSecret() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(base)
            #expect(sim.key == "stripe.webhook")
            try await sim.register(["price.created", "charge.succeeded"])
            let endpoints = server.stripe.endpoints
            #expect(endpoints.count == 1)
            #expect(endpoints[0].url == url)
            #expect(endpoints[0].enabledEvents.sorted() == ["charge.succeeded", "price.created"])
            #expect(endpoints[0].connect == false)
            #expect(sim.secret == endpoints[0].secret)
            #expect(sim.registered == ["charge.succeeded", "price.created"])
            #expect(sim.data["id"]?.stringValue == endpoints[0].id)
            #expect(sim.data["secret"] == nil, "the secret must not be kept in the data")
            // Every mutating call carried an idempotency key.
            #expect(mutations(server.stripe).allSatisfy { $0.idempotencyKey?.hasPrefix("tributary-") == true })
            // No task output recorded the secret.
            let tasks = await (sim.lastIO!.store as! InMemoryTaskStore).tasks(runId: sim.lastIO!.runId)
            #expect(!tasks.contains { $0.output?.jsonString.contains(endpoints[0].secret) == true })
        }
    }

    @Test func connectParamsMakeAConnectEndpoint() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(base, connect: true)
            #expect(sim.key == "stripe.webhook.connect")
            try await sim.register(["account.updated"])
            #expect(server.stripe.endpoints.map(\.connect) == [true])
        }
    }

    @Test func addingAndRemovingEventsUpdatesTheSameEndpoint() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(base)
            try await sim.register(["price.created"])
            let id = server.stripe.endpoints[0].id
            let secret = sim.secret
            try await sim.register(["price.created", "invoice.paid"])
            #expect(server.stripe.endpoints.count == 1)
            #expect(server.stripe.endpoints[0].id == id)
            #expect(server.stripe.endpoints[0].enabledEvents.sorted() == ["invoice.paid", "price.created"])
            #expect(sim.secret == secret)
            // A job that used price.created is gone: its event is orphaned and removed.
            try await sim.register(["invoice.paid"])
            #expect(server.stripe.endpoints[0].enabledEvents == ["invoice.paid"])
            #expect(sim.registered == ["invoice.paid"])
            // No job wants anything: the endpoint goes away.
            try await sim.register([])
            #expect(server.stripe.endpoints.isEmpty)
            #expect(sim.active == false && sim.secret == nil)
        }
    }

    @Test func settledSourceIsUnchangedAndMakesNoMutation() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(base)
            try await sim.register(["price.created"])
            let before = mutations(server.stripe).count
            let result = try await sim.register(["price.created"])
            #expect(result == .unchanged)
            #expect(mutations(server.stripe).count == before)
        }
    }

    @Test func endpointDeletedBehindOurBackIsRecreated() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(base)
            try await sim.register(["price.created"])
            let old = server.stripe.endpoints[0]
            server.stripe.remove(id: old.id)
            try await sim.register(["price.created"])  // settled from our side; drift is detected
            let endpoints = server.stripe.endpoints
            #expect(endpoints.count == 1)
            #expect(endpoints[0].id != old.id)
            #expect(sim.secret == endpoints[0].secret && sim.secret != old.secret)
        }
    }

    @Test func endpointWhoseSecretWeLostIsReplaced() async throws {
        try await withFakeProviders { server, base in
            // An endpoint at our URL from an earlier installation; we do not hold its secret.
            let stranger = server.stripe.seed(url: url, events: ["price.created"])
            let other = server.stripe.seed(url: "https://other.example/hook")
            var sim = simulator(base)
            try await sim.register(["price.created"])
            let endpoints = server.stripe.endpoints
            #expect(endpoints.count == 2)
            #expect(endpoints.contains { $0.id == other.id }, "endpoints at other URLs are left alone")
            let ours = try #require(endpoints.first { $0.url == url })
            #expect(ours.id != stranger.id)
            #expect(sim.secret == ours.secret)

            // Same when the state knows the endpoint but its secret is gone.
            sim.secret = nil
            try await sim.register(["price.created"])
            let again = server.stripe.endpoints.filter { $0.url == url }
            #expect(again.count == 1 && again[0].id != ours.id && sim.secret == again[0].secret)
        }
    }

    @Test func moreThan100EndpointsArePagedThrough() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(base)
            try await sim.register(["price.created"])
            let ours = server.stripe.endpoints[0]  // the oldest: last in Stripe's newest-first pages
            for i in 0..<150 { server.stripe.seed(url: "https://tenant\(i).example/hook") }
            // The registrar lost its state (e.g. topic re-created) but holds the secret for this endpoint.
            sim.active = false
            let listsBefore = server.stripe.requests.filter { $0.method == "GET" && $0.path == "/v1/webhook_endpoints" }.count
            try await sim.register(["price.created", "charge.refunded"])
            #expect(server.stripe.endpoints.count == 151, "found, not created again")
            #expect(server.stripe.endpoints.first { $0.id == ours.id }?.enabledEvents.sorted() == ["charge.refunded", "price.created"])
            let lists = server.stripe.requests.filter { $0.method == "GET" && $0.path == "/v1/webhook_endpoints" }
            #expect(lists.count - listsBefore == 2, "two pages of at most 100")
            #expect(
                server.stripe.requests.filter { $0.method == "POST" && $0.path == "/v1/webhook_endpoints" }.count == 1, "one create in all")
        }
    }

    @Test func rateLimitsAndServerErrorsAreRetriedWithTheSameIdempotencyKey() async throws {
        try await withFakeProviders { server, base in
            server.stripe.inject(
                FakeFailure(status: 429, retryAfter: "0", method: "POST"),
                FakeFailure(status: 500, method: "POST"),
                FakeFailure(status: 503, method: "POST", afterProcessing: true))
            var sim = simulator(base)
            try await sim.register(["price.created"])
            #expect(server.stripe.endpoints.count == 1, "the lost answer was replayed, not created twice")
            #expect(sim.secret == server.stripe.endpoints[0].secret)
            let posts = server.stripe.requests.filter { $0.method == "POST" }
            #expect(posts.map(\.status) == [429, 500, 503, 200])
            #expect(Set(posts.map(\.idempotencyKey)).count == 1)
        }
    }

    @Test func clientErrorsSurfaceStripesMessage() async throws {
        try await withFakeProviders { server, base in
            let stripe = StripeIntegration(
                configuration: StripeConfiguration(apiKey: "sk_test_wrong", apiBase: base, retryPolicy: testRetryPolicy))
            var sim = RegistrarSimulator(source: stripe.source, params: StripeSourceParams(), url: url)
            let error = await #expect(throws: TaskFailedError.self) { try await sim.register(["price.created"]) }
            let api = try #require(error?.underlying as? ProviderAPIError)
            #expect(api.status == 401 && api.message == "Invalid API Key provided")
            #expect(server.stripe.requests.count == 1, "a 4xx is not retried")
        }
    }

    @Test func theRegisteredSecretVerifiesStripesDeliveries() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(base)
            try await sim.register(["price.created"])
            let body = Array(
                #"{"id":"evt_1","object":"event","type":"price.created","created":1721917438,"data":{"object":{"id":"price_1"}}}"#.utf8)
            let header = StripeSignature.header(
                body: body, secrets: [server.stripe.endpoints[0].secret], timestamp: Int64(Date().timeIntervalSince1970))
            let state = SourceState(
                key: sim.key, sourceId: "stripe.webhook", params: try JSON(encoding: StripeSourceParams()), active: true, url: url,
                secret: sim.secret, data: sim.data)
            let result = try await sim.source.erased.handle(
                SourceRequest(path: "/sources/stripe.webhook", headers: [("Stripe-Signature", header)], body: body), state: state)
            #expect(result.events.map(\.id) == ["evt_1"])
            #expect(result.events.first?.sourceKey == "stripe.webhook")
        }
    }
}
