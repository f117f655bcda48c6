import FakeProviders
import Foundation
import Testing
import Tributary
import TributaryIntegrations
import TributaryRegistrar

/// Typeform, Linear and Shopify sources registered by the registrar in this process, against the
/// embedded broker and the fake provider APIs: first registration, a new job's event, drift repaired
/// at the resync, failures recorded on the source state.
@Suite(.serialized) struct NamedProviderRegistrationTests {
    static func source(_ id: String, _ name: String) -> TriggerSource {
        TriggerSource(channel: .http, id: id, version: "1", key: "\(id).\(name)", params: ["name": .string(name)])
    }

    static let typeform = source("typeform", "lT4Z3j")
    static let linear = source("linear", "ENG")
    static let shopify = source("shopify", "acme")

    @Test func typeformAndLinearWebhooksAreMadeWithSecretsWeHoldAndRepaired() async throws {
        try await RegistrarHarness.with { h in
            try await h.declare(job: "on-response", events: ["form_response"], source: Self.typeform, eventSource: "typeform.com")
            try await h.declare(job: "on-issue", events: ["Issue"], source: Self.linear, eventSource: "linear.app")
            let registrar = try await h.start(h.configuration(resync: .seconds(1)), catalog: h.catalog(stripeAttempts: 2))
            // 60 s: the first election and the first pass share a test process with the whole suite.
            do {
                try await eventually("both sources are active", timeout: .seconds(60)) {
                    let typeform = try await h.state("typeform.lT4Z3j")
                    let linear = try await h.state("linear.ENG")
                    return typeform?.active == true && linear?.active == true
                }
            } catch {
                let states = [try await h.state("typeform.lT4Z3j"), try await h.state("linear.ENG")].map {
                    "\($0?.active.description ?? "no state") \($0?.lastError?.message ?? "")"
                }
                Issue.record(
                    "leads: \(registrar.isLeader); states \(states); Typeform calls \(h.fakes.typeform.requests); Linear calls \(h.fakes.linear.requests)"
                )
                throw error
            }
            let form = try #require(h.fakes.typeform.webhooks.first)
            #expect(h.fakes.typeform.webhooks.count == 1 && form.url == RegistrarHarness.publicURL + "/sources/typeform.lT4Z3j")
            #expect(try await h.state("typeform.lT4Z3j")?.secret == form.secret)
            let team = try #require(h.fakes.linear.webhooks.first)
            #expect(h.fakes.linear.webhooks.count == 1 && team.resourceTypes == ["Issue"])
            #expect(try await h.state("linear.ENG")?.secret == team.secret)

            // A second job adds an event type to the same Linear webhook.
            try await h.declare(job: "on-comment", events: ["Comment"], source: Self.linear, eventSource: "linear.app")
            try await eventually("the webhook has both types") {
                try await h.state("linear.ENG")?.registered["event"] == ["Comment", "Issue"]
                    && h.fakes.linear.webhooks.first?.resourceTypes == ["Comment", "Issue"]
            }
            #expect(h.fakes.linear.webhooks.map(\.id) == [team.id])

            // Deleted behind our back: put back at the next resync, with a secret the state holds.
            h.fakes.typeform.remove(form: form.formId, tag: form.tag)
            h.fakes.linear.remove(id: team.id)
            try await eventually("both are back") {
                guard let hook = h.fakes.typeform.webhooks.first, let webhook = h.fakes.linear.webhooks.first else { return false }
                let typeform = try await h.state("typeform.lT4Z3j")
                let linear = try await h.state("linear.ENG")
                return typeform?.secret == hook.secret && linear?.secret == webhook.secret && webhook.id != team.id
            }
            #expect(h.fakes.typeform.webhooks.count == 1 && h.fakes.linear.webhooks.count == 1)
            await registrar.stop()
        }
    }

    @Test func shopifyWaitsForTheAppSecretThenSubscribesEachTopic() async throws {
        try await RegistrarHarness.with { h in
            try await h.declare(
                job: "on-order", events: ["orders/create", "orders/paid"], source: Self.shopify, eventSource: "shopify.com")
            let registrar = try await h.start(h.configuration(), catalog: h.catalog(stripeAttempts: 2))
            try await eventually("the missing app secret is recorded") { try await h.state("shopify.acme")?.lastError != nil }
            #expect(try await h.state("shopify.acme")?.lastError?.message.contains("set-secret shopify.acme <app secret>") == true)
            #expect(h.fakes.shopify.subscriptions.isEmpty)

            let result = try await h.command(h.setSecret("shopify.acme", h.fakes.shopify.appSecret))
            #expect(result.ok, "\(result.message)")
            try await eventually("both topics are subscribed") {
                try await h.state("shopify.acme")?.active == true
                    && h.fakes.shopify.subscriptions.map(\.topic).sorted() == ["orders/create", "orders/paid"]
            }
            let state = try #require(try await h.state("shopify.acme"))
            #expect(state.secret == h.fakes.shopify.appSecret && state.lastError == nil)
            #expect(h.fakes.shopify.subscriptions.allSatisfy { $0.shop == "acme.myshopify.com" && $0.address == state.url })
            await registrar.stop()
        }
    }

    @Test func typeformFailuresAreRecordedThenRetried() async throws {
        try await RegistrarHarness.with { h in
            // Each call is tried twice by the client: four 500s fail two registration attempts.
            h.fakes.typeform.inject(
                FakeFailure(status: 500), FakeFailure(status: 500), FakeFailure(status: 429, retryAfter: "0"), FakeFailure(status: 503))
            try await h.declare(job: "on-response", events: ["form_response"], source: Self.typeform, eventSource: "typeform.com")
            let registrar = try await h.start(h.configuration(), catalog: h.catalog(stripeAttempts: 2))
            try await eventually("the source is active") { try await h.state("typeform.lT4Z3j")?.active == true }
            let failures = try await h.history("typeform.lT4Z3j").compactMap(\.lastError)
            #expect(!failures.isEmpty)
            #expect(failures.first?.message.contains("Typeform") == true, "\(failures.first?.message ?? "")")
            #expect(try await h.state("typeform.lT4Z3j")?.lastError == nil)
            #expect(h.fakes.typeform.webhooks.count == 1)
            #expect(
                registrar.metricsText.contains(#"tributary_registrar_reconciliations_total{source="typeform.lT4Z3j",outcome="failed"}"#))
            await registrar.stop()
        }
    }
    @Test func aGenericSourcesSettingsAndSecretSurviveRegistration() async throws {
        try await RegistrarHarness.with { h in
            let registrar = try await h.start(h.configuration(), catalog: h.catalog(credentials: false))
            let configured = try await h.command(
                .configure(source: "hmac.acme", settings: ["header": "X-Signature", "prefix": "sha256="], issuedBy: "test@harness"))
            #expect(configured.ok && configured.message == "source hmac.acme created (hmac) with its settings", "\(configured.message)")
            let refused = try await h.command(.configure(source: "hmac.acme", settings: ["algorithm": "md5"], issuedBy: "test@harness"))
            #expect(!refused.ok && refused.message.contains("the settings do not read"), "\(refused.message)")
            #expect(try await h.command(h.setSecret("hmac.acme", "s3cret")).ok)

            try await h.declare(job: "on-order", events: ["order.paid"], source: Self.source("hmac", "acme"), eventSource: "acme")
            try await eventually("the source is registered") {
                try await h.state("hmac.acme")?.registered["event"] == ["order.paid"]
            }
            let state = try #require(try await h.state("hmac.acme"))
            #expect(state.active && state.secret == "s3cret")
            #expect(state.data["settings"] == ["header": "X-Signature", "prefix": "sha256="])
            await registrar.stop()
        }
    }
}
