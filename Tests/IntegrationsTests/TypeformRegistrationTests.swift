import FakeProviders
import Foundation
import Testing
import Tributary
@testable import TributaryIntegrations

/// `typeform.<form id>` registration against the fake Typeform API, as the registrar runs it.
@Suite struct TypeformRegistrationTests {
    let url = "https://hooks.acme.example/sources/typeform.lT4Z3j"
    let form = "lT4Z3j"

    func integration(_ base: String, token: String = "tfp_fake") -> TypeformIntegration {
        TypeformIntegration(configuration: TypeformConfiguration(token: token, apiBase: base, retryPolicy: testRetryPolicy))
    }

    func simulator(_ base: String, token: String = "tfp_fake") -> RegistrarSimulator<NamedSourceParams> {
        RegistrarSimulator(source: integration(base, token: token).source, params: NamedSourceParams(name: form), url: url)
    }

    func mutations(_ fake: FakeTypeformAPI) -> [FakeRequestRecord] { fake.requests.filter { $0.method != "GET" } }

    /// Whether a response signed the way the fake's webhook signs verifies with the secret we hold.
    func verifies(_ webhook: FakeTypeformAPI.Webhook, heldSecret: String?) async throws -> Bool {
        let body = Array(#"{"event_id":"e1","event_type":"form_response","form_response":{"form_id":"lT4Z3j"}}"#.utf8)
        let header = TypeformSignature.header(body: body, secret: try #require(webhook.secret))
        let result = try await deliver(
            TypeformIntegration().source, name: form, secret: heldSecret, headers: [(TypeformSignature.signatureHeader, header)],
            body: body)
        return result.events.map(\.id) == ["e1"]
    }

    @Test func firstRegistrationPutsOneWebhookWithASecretWeHold() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(base)
            #expect(sim.key == "typeform.lT4Z3j")
            try await sim.register(["form_response"])
            let hooks = server.typeform.webhooks
            #expect(hooks.count == 1)
            let hook = try #require(hooks.first)
            #expect(hook.formId == form && hook.url == url && hook.enabled && hook.eventTypes == ["form_response"])
            #expect(hook.tag == TypeformRegistration.tag(for: url) && hook.tag.hasPrefix("tributary-"))
            #expect(sim.secret != nil && sim.secret == hook.secret, "the webhook was created with the secret we hold")
            #expect(sim.secret?.count == 64)
            #expect(sim.registered == ["form_response"])
            #expect(sim.data["tag"]?.stringValue == hook.tag && sim.data["secret"] == nil)
            #expect(try await verifies(hook, heldSecret: sim.secret))
            let tasks = await (sim.lastIO!.store as! InMemoryTaskStore).tasks(runId: sim.lastIO!.runId)
            #expect(!tasks.contains { $0.output?.jsonString.contains(sim.secret!) == true }, "no task output holds the secret")
            #expect(!tasks.contains { $0.key.contains(sim.secret!) })
        }
    }

    @Test func aNewEventTypeUpdatesTheSameWebhookAndSettledMakesNoCall() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(base)
            try await sim.register(["form_response"])
            let secret = sim.secret
            try await sim.register(["form_response", "form_response_partial"])
            #expect(server.typeform.webhooks.count == 1)
            #expect(server.typeform.webhooks.first?.eventTypes == ["form_response", "form_response_partial"])
            #expect(sim.secret == secret && server.typeform.webhooks.first?.secret == secret)

            let before = mutations(server.typeform).count
            let result = try await sim.register(["form_response", "form_response_partial"])
            #expect(result == .unchanged)
            #expect(mutations(server.typeform).count == before)

            // No job wants anything: the webhook goes.
            try await sim.register([])
            #expect(server.typeform.webhooks.isEmpty && sim.secret == nil && sim.active == false)
        }
    }

    @Test func aWebhookDeletedOrDisabledBehindOurBackIsPutBack() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(base)
            try await sim.register(["form_response"])
            let tag = try #require(server.typeform.webhooks.first?.tag)
            server.typeform.remove(form: form, tag: tag)
            try await sim.register(["form_response"])  // settled from our side: drift is found
            #expect(server.typeform.webhooks.count == 1)
            #expect(server.typeform.webhooks.first?.secret == sim.secret)

            server.typeform.modify(form: form, tag: tag) {
                $0.enabled = false
                $0.url = "https://elsewhere.example/x"
            }
            try await sim.register(["form_response"])
            let hook = try #require(server.typeform.webhooks.first)
            #expect(server.typeform.webhooks.count == 1 && hook.enabled && hook.url == url && hook.secret == sim.secret)
        }
    }

    @Test func otherWebhooksToOurURLAreRemovedAndOthersLeftAlone() async throws {
        try await withFakeProviders { server, base in
            // Made by hand in the form's settings, with a secret we do not hold: it would deliver twice.
            server.typeform.seed(form: form, tag: "by-hand", url: url, secret: "unknown")
            let zapier = server.typeform.seed(form: form, tag: "zapier", url: "https://hooks.zapier.example/1")
            let otherForm = server.typeform.seed(form: "other", tag: "by-hand", url: url)
            var sim = simulator(base)
            try await sim.register(["form_response"])
            let hooks = server.typeform.webhooks
            #expect(hooks.count == 3)
            #expect(hooks.contains(zapier) && hooks.contains(otherForm))
            #expect(hooks.filter { $0.formId == form && $0.url == url }.map(\.secret) == [sim.secret])
        }
    }

    @Test func rateLimitsAndServerErrorsAreRetriedAndPersistentFailuresSurface() async throws {
        try await withFakeProviders { server, base in
            server.typeform.inject(
                FakeFailure(status: 429, retryAfter: "0", method: "PUT"), FakeFailure(status: 500, method: "PUT"),
                FakeFailure(status: 503, method: "PUT", afterProcessing: true))
            var sim = simulator(base)
            try await sim.register(["form_response"])
            #expect(server.typeform.requests.filter { $0.method == "PUT" }.map(\.status) == [429, 500, 503, 200])
            #expect(server.typeform.webhooks.count == 1 && server.typeform.webhooks.first?.secret == sim.secret)

            // More 500s than the client's attempts: the registration fails with Typeform's answer.
            server.typeform.inject(
                FakeFailure(status: 500), FakeFailure(status: 500), FakeFailure(status: 500), FakeFailure(status: 500),
                FakeFailure(status: 500), FakeFailure(status: 500), FakeFailure(status: 500), FakeFailure(status: 500))
            var fresh = simulator(base)
            fresh.secret = nil
            let error = await #expect(throws: TaskFailedError.self) { try await fresh.register(["form_response"]) }
            let api = try #require(error?.underlying as? ProviderAPIError)
            #expect(api.status == 500 && api.message == "Injected failure 500" && api.provider == "Typeform")
        }
    }

    @Test func aWrongTokenIsNotRetriedAndSaysSo() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(base, token: "wrong")
            let error = await #expect(throws: TaskFailedError.self) { try await sim.register(["form_response"]) }
            let api = try #require(error?.underlying as? ProviderAPIError)
            #expect(api.status == 403 && api.message.contains("Authentication credentials"))
            #expect(server.typeform.requests.count == 1)
        }
    }

    @Test func withoutATokenTheOperatorsSecretIsKeptAndNothingIsCalled() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(base, token: "")
            sim.secret = "set-by-hand"
            try await sim.register(["form_response"])
            #expect(sim.secret == "set-by-hand" && sim.registered == ["form_response"])
            #expect(server.typeform.requests.isEmpty)
            let catalog = try IntegrationCatalog.fromEnvironment([:])
            #expect(catalog.missingCredentials["typeform"] == nil, "no token is not an error: webhooks are made by hand")
        }
    }
}
