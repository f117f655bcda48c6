import FakeProviders
import Foundation
import TributaryKafka
import ServiceSupport
import Synchronization
import Testing
import Tributary
import TributaryIntegrations
import TributaryRegistrar

/// The registrar in this process against the embedded broker and the fake Stripe API.
@Suite(.serialized) struct RegistrationTests {
    static let url = RegistrarHarness.publicURL + "/sources/stripe.webhook"

    @Test func firstRegistrationCreatesOneEndpointAndStoresItsSecretSealed() async throws {
        try await RegistrarHarness.with { h in
            try await h.declare(job: "on-price", events: ["price.created"])
            let registrar = try await h.start(h.configuration(), catalog: h.catalog())
            try await eventually("the source is active") { try await h.state("stripe.webhook")?.active == true }

            let endpoints = h.fakes.stripe.endpoints
            #expect(endpoints.count == 1)
            #expect(endpoints.first?.url == Self.url)
            #expect(endpoints.first?.enabledEvents == ["price.created"])
            let state = try #require(try await h.state("stripe.webhook"))
            #expect(state.url == Self.url)
            #expect(state.secret == endpoints.first?.secret)
            #expect(state.registered == ["event": ["price.created"]])
            #expect(state.data["id"]?.stringValue == endpoints.first?.id)
            #expect(state.lastError == nil)

            // On the topic the secret is sealed: not in the clear, and unreadable under another key.
            let raw = try #require(try await h.records(h.topics.sources.name).last)
            let text = String(decoding: raw.value ?? [], as: UTF8.self)
            #expect(text.contains("sealedSecret"))
            #expect(!text.contains(endpoints.first?.secret ?? "-"))
            let otherKey = try SecretSealer(base64Key: SecretSealer.generateKey())
            #expect(throws: (any Error).self) { try SourceState(record: WireRecord(raw), sealer: otherKey) }
            #expect(
                registrar.metricsText.contains(
                    #"tributary_registrar_reconciliations_total{source="stripe.webhook",outcome="registered"} 1"#))
            await registrar.stop()
        }
    }

    @Test func newJobUpdatesTheSameEndpointAndRemovedJobsOrphanTheirEvents() async throws {
        try await RegistrarHarness.with { h in
            try await h.declare(job: "on-price", events: ["price.created"])
            let registrar = try await h.start(h.configuration(), catalog: h.catalog())
            try await eventually("the source is active") { try await h.state("stripe.webhook")?.active == true }
            let first = try h.onlyEndpoint()

            try await h.declare(job: "on-invoice", events: ["invoice.paid"])
            try await eventually("the endpoint has both events") {
                let registered = try await h.state("stripe.webhook")?.registered["event"]
                return h.fakes.stripe.endpoints.first?.enabledEvents.sorted() == ["invoice.paid", "price.created"]
                    && registered == ["invoice.paid", "price.created"]
            }
            #expect(h.fakes.stripe.endpoints.map(\.id) == [first.id])
            #expect(try await h.state("stripe.webhook")?.secret == first.secret)

            // `tributary jobs rm on-price`: its event is orphaned and removed from the endpoint.
            try await h.remove(job: "on-price")
            try await eventually("price.created is removed") {
                let registered = try await h.state("stripe.webhook")?.registered["event"]
                return h.fakes.stripe.endpoints.first?.enabledEvents == ["invoice.paid"] && registered == ["invoice.paid"]
            }
            #expect(h.fakes.stripe.endpoints.map(\.id) == [first.id])

            // No job needs the source any more: its endpoint is deleted and the source is inactive.
            try await h.remove(job: "on-invoice")
            try await eventually("the endpoint is deleted") {
                let state = try await h.state("stripe.webhook")
                return h.fakes.stripe.endpoints.isEmpty && state?.active == false && state?.registered["event"] == []
            }
            #expect(try await h.state("stripe.webhook")?.secret == nil)
            #expect(h.fakes.stripe.requests.filter { $0.method == "POST" && $0.path == "/v1/webhook_endpoints" }.count == 1)
            await registrar.stop()
        }
    }

    @Test func anEndpointDeletedBehindOurBackIsRecreatedAtTheNextResync() async throws {
        try await RegistrarHarness.with(Self.deletedAndChangedEndpointsAreRepaired)
    }

    @Sendable static func deletedAndChangedEndpointsAreRepaired(_ h: RegistrarHarness) async throws {
        do {
            try await h.declare(job: "on-price", events: ["price.created"])
            let registrar = try await h.start(h.configuration(resync: .seconds(1)), catalog: h.catalog())
            try await eventually("the source is active") { try await h.state("stripe.webhook")?.active == true }
            let firstId = try h.onlyEndpoint().id

            h.fakes.stripe.remove(id: firstId)
            try await eventually("a new endpoint holds a secret we keep") {
                try await h.stateMatchesTheOnlyEndpoint("stripe.webhook", except: firstId)
            }
            #expect(h.fakes.stripe.endpoints.count == 1)
            #expect(h.fakes.stripe.endpoints.first?.url == Self.url)
            #expect(h.fakes.stripe.endpoints.first?.enabledEvents == ["price.created"])

            // Events changed behind our back are repaired too.
            let secondId = try h.onlyEndpoint().id
            h.fakes.stripe.setEvents(id: secondId, ["charge.failed"])
            try await eventually("the events are repaired") { h.fakes.stripe.endpoints.first?.enabledEvents == ["price.created"] }
            #expect(try h.onlyEndpoint().id == secondId)
            await registrar.stop()
        }
    }

    @Test func rateLimitThenServerErrorThenSuccessIsRetriedAndRecorded() async throws {
        try await RegistrarHarness.with { h in
            // The Stripe client tries each call once, so the registrar's own retries show.
            h.fakes.stripe.inject(FakeFailure(status: 429), FakeFailure(status: 500))
            try await h.declare(job: "on-price", events: ["price.created"])
            let registrar = try await h.start(h.configuration(), catalog: h.catalog(stripeAttempts: 1))
            try await eventually("the source is active") { try await h.state("stripe.webhook")?.active == true }

            let history = try await h.history("stripe.webhook")
            #expect(history.count == 3)
            #expect(history.map(\.active) == [false, false, true])
            #expect(history.map { $0.lastError?.attempts } == [1, 2, nil])
            #expect(history[0].lastError?.message.contains("429") == true)
            #expect(history[1].lastError?.message.contains("500") == true)
            #expect(history[0].url == Self.url)
            #expect(history[2].secret == h.fakes.stripe.endpoints.first?.secret)
            #expect(h.fakes.stripe.endpoints.count == 1)
            let metrics = registrar.metricsText
            #expect(
                !metrics.contains("tributary_registrar_failures_total"),
                "the duplicate of reconciliations_total{outcome=\"failed\"} is gone")
            // Registered in the end: the state gauges say so.
            #expect(metrics.contains(#"tributary_registrar_source_consecutive_failures{source="stripe.webhook"} 0.0"#))
            #expect(metrics.contains(#"tributary_registrar_source_registered{source="stripe.webhook"} 1.0"#))
            #expect(metrics.contains(#"tributary_registrar_reconciliations_total{source="stripe.webhook",outcome="failed"} 2"#))
            await registrar.stop()
        }
    }

    @Test func aLostCreateAnswerIsRetriedInTheSameRunAndReplayedByStripe() async throws {
        try await RegistrarHarness.with { h in
            // Stripe creates the endpoint but the answer is lost (a 500 after processing).
            h.fakes.stripe.inject(FakeFailure(status: 500, method: "POST", afterProcessing: true))
            try await h.declare(job: "on-price", events: ["price.created"])
            let registrar = try await h.start(h.configuration(), catalog: h.catalog(stripeAttempts: 1))
            try await eventually("the source is active with the endpoint's secret") {
                try await h.stateMatchesTheOnlyEndpoint("stripe.webhook")
            }
            // The second attempt kept the run id, so its create carried the same idempotency key and
            // Stripe replayed the first answer (secret included) instead of creating a second endpoint.
            let creates = h.fakes.stripe.requests.filter { $0.method == "POST" && $0.path == "/v1/webhook_endpoints" }
            #expect(creates.count == 2)
            #expect(Set(creates.map(\.idempotencyKey)).count == 1)
            #expect(try await h.history("stripe.webhook").map { $0.lastError?.attempts } == [1, nil])
            await registrar.stop()
        }
    }

    @Test func aCrashBetweenCreateAndStateWriteLeavesOneEndpointWhoseSecretWeHold() async throws {
        try await RegistrarHarness.with { h in
            try await h.declare(job: "on-price", events: ["price.created"])
            // The first registrar "crashes" right after the provider call: it never writes the state.
            let crashed = Flag()
            let hooks = RegistrarHooks(afterRegister: { _, _ in
                crashed.set()
                try await Task.sleep(for: .seconds(3600))
            })
            let first = try await h.start(h.configuration(hooks: hooks), catalog: h.catalog(), name: "first")
            try await eventually("the first registrar created the endpoint") { crashed.isSet }
            #expect(h.fakes.stripe.endpoints.count == 1)
            #expect(try await h.state("stripe.webhook") == nil)
            await first.stop()

            let second = try await h.start(h.configuration(), catalog: h.catalog(), name: "second")
            try await eventually("the source is active with the endpoint's secret") {
                try await h.stateMatchesTheOnlyEndpoint("stripe.webhook")
            }
            #expect(h.fakes.stripe.endpoints.count == 1)
            #expect(h.fakes.stripe.endpoints.first?.url == Self.url)
            await second.stop()
        }
    }

    @Test func aGitHubRepositoryGetsOneHookSignedWithASecretWeHold() async throws {
        try await RegistrarHarness.with { h in
            let source = TriggerSource(
                channel: .http, id: "github.webhook", version: "1", key: "acme/web", params: ["owner": "acme", "repository": "web"])
            try await h.declare(job: "on-push", events: ["push"], source: source, eventSource: "github.com")
            let registrar = try await h.start(h.configuration(), catalog: h.catalog())
            try await eventually("the source is active") { try await h.state("acme/web")?.active == true }
            let hooks = h.fakes.github.hooks
            #expect(hooks.count == 1)
            #expect(hooks.first?.url == RegistrarHarness.publicURL + "/sources/acme%2Fweb")
            #expect(hooks.first?.events == ["push"])
            let state = try await h.state("acme/web")
            #expect(state?.secret != nil)
            #expect(state?.secret == hooks.first?.secret)
            await registrar.stop()
        }
    }

    @Test func aStateSealedWithAnotherKeyIsNeverOverwritten() async throws {
        try await RegistrarHarness.with { h in
            let foreign = try SecretSealer(base64Key: SecretSealer.generateKey())
            let state = SourceState(
                key: "stripe.webhook", sourceId: "stripe.webhook", params: ["connect": false], active: true, secret: "whsec_foreign")
            try await h.write(state, sealer: foreign)
            try await h.declare(job: "on-price", events: ["price.created"])
            // A second source, reconciled after stripe.webhook in the same pass, shows the pass happened.
            let resend = TriggerSource(
                channel: .http, id: "standardwebhooks", version: "1", key: "webhooks.resend", params: ["name": "resend"])
            try await h.declare(job: "on-email", events: ["email.sent"], source: resend, eventSource: "resend")
            let registrar = try await h.start(h.configuration(), catalog: h.catalog())
            try await eventually("the other source is active") { try await h.state("webhooks.resend")?.active == true }
            let records = try await h.records(h.topics.sources.name).filter { $0.keyString == "stripe.webhook" }
            #expect(records.count == 1)
            #expect(h.fakes.stripe.requests.isEmpty)
            #expect(
                registrar.metricsText.contains(#"tributary_registrar_reconciliations_total{source="stripe.webhook",outcome="failed"} 1"#))
            await registrar.stop()
        }
    }

    @Test func missingCredentialsAreRecordedNamingTheVariable() async throws {
        try await RegistrarHarness.with { h in
            try await h.declare(job: "on-price", events: ["price.created"])
            let registrar = try await h.start(h.configuration(), catalog: h.catalog(credentials: false))
            try await eventually("the failure is recorded") { try await h.state("stripe.webhook")?.lastError != nil }
            let state = try #require(try await h.state("stripe.webhook"))
            #expect(state.active == false)
            #expect(state.lastError?.message.contains("STRIPE_API_KEY") == true)
            #expect(h.fakes.stripe.requests.isEmpty)
            await registrar.stop()
        }
    }

    @Test func standardWebhookSourcesGetAStateAndKeepTheOperatorsSecret() async throws {
        try await RegistrarHarness.with { h in
            let source = TriggerSource(
                channel: .http, id: "standardwebhooks", version: "1", key: "webhooks.resend", params: ["name": "resend"])
            try await h.declare(job: "on-email", events: ["email.sent"], source: source, eventSource: "resend")
            let registrar = try await h.start(h.configuration(), catalog: h.catalog(credentials: false))
            try await eventually("the source is active") { try await h.state("webhooks.resend")?.active == true }
            #expect(try await h.state("webhooks.resend")?.secret == nil)

            // `tributary sources set-secret webhooks.resend whsec_…` (a command the leader applies), then
            // another job: the secret stays.
            let result = try await h.command(h.setSecret("webhooks.resend", "whsec_b3BlcmF0b3JzZWNyZXQ="))
            #expect(result.ok, "\(result.message)")
            #expect(result.message == "secret set for webhooks.resend")
            #expect(try await h.state("webhooks.resend")?.secret == "whsec_b3BlcmF0b3JzZWNyZXQ=")
            try await h.declare(job: "on-bounce", events: ["email.bounced"], source: source, eventSource: "resend")
            try await eventually("both events are registered") {
                try await h.state("webhooks.resend")?.registered["event"] == ["email.bounced", "email.sent"]
            }
            #expect(try await h.state("webhooks.resend")?.secret == "whsec_b3BlcmF0b3JzZWNyZXQ=")
            // Every state the registrar wrote after the command kept the operator's secret.
            let history = try await h.history("webhooks.resend")
            let firstWithSecret = try #require(history.firstIndex { $0.secret != nil })
            #expect(history[firstWithSecret...].allSatisfy { $0.secret == "whsec_b3BlcmF0b3JzZWNyZXQ=" })
            await registrar.stop()
        }
    }
}

/// A flag a hook raises and a test waits for.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
}
