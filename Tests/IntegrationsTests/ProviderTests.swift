import Foundation
import FakeProviders
import Testing
import Tributary
@testable import TributaryIntegrations

/// `Providers.all` is the one list: the catalog, the source keys and the tool's events follow it.
@Suite struct ProviderCatalogTests {
    @Test func theCatalogHoldsEveryProviderInOrder() throws {
        let catalog = try IntegrationCatalog.fromEnvironment([:])
        #expect(catalog.integrations.map { type(of: $0).provider.id } == Providers.descriptors.map(\.id))
        #expect(
            catalog.sources.map(\.id) == [
                "stripe.webhook", "github.webhook", "standardwebhooks", "notion.database", "slack", "discord", "twilio", "shopify",
                "linear", "typeform", "hmac", "shared-secret", "url-token",
            ])
        #expect(catalog.pollingSources.map(\.id) == ["notion.database"])
        #expect(Set(Providers.descriptors.map(\.id)).count == Providers.all.count, "provider ids are unique")
        // Every provider that needs a credential is missing it in an empty environment, by its variable
        // (Shopify's, Linear's and Typeform's webhooks are then made by hand: not missing).
        #expect(catalog.missingCredentials == ["stripe": "STRIPE_API_KEY", "github": "GITHUB_TOKEN", "notion": "NOTION_TOKEN"])
        #expect(catalog.missingCredential(forSourceId: "github.webhook")?.variable == "GITHUB_TOKEN")
        #expect(catalog.missingCredential(forSourceId: "standardwebhooks") == nil)
        #expect(catalog.provider(ofSourceId: "notion.database")?.id == "notion")
        #expect(catalog.provider(ofSourceId: "no.such") == nil)
    }

    @Test func credentialsAreReadFromTheVariablesTheDescriptorsName() throws {
        var environment: [String: String] = [:]
        for provider in Providers.descriptors {
            for variable in provider.variables {
                environment[variable.name] = variable.defaultValue ?? "token-\(provider.id)"
            }
        }
        let catalog = try IntegrationCatalog.fromEnvironment(environment)
        #expect(catalog.missingCredentials.isEmpty)
        #expect(catalog.stripe.configuration.apiKey == "token-stripe")
        #expect(catalog.github.configuration.token == "token-github")
        #expect(catalog.notion.configuration.token == "token-notion")
        // An invalid base URL still stops the start, naming the variable.
        environment["GITHUB_API_BASE"] = "ftp://example"
        #expect(throws: ConfigurationError.self) { try IntegrationCatalog.fromEnvironment(environment) }
    }

    @Test func everySourceKeyRuleMakesAStateTheCatalogServes() throws {
        let catalog = try IntegrationCatalog.fromEnvironment([:])
        let examples = [
            "stripe.webhook": "stripe", "stripe.webhook.connect": "stripe", "webhooks.resend": "standardwebhooks", "acme/web": "github",
            "slack.acme-bot": "slack", "discord.deploy-bot": "discord", "twilio.support": "twilio",
            "shopify.acme-outdoor.myshopify.com": "shopify", "linear.eng": "linear", "typeform.lT4Z3j": "typeform",
        ]
        for (key, provider) in examples {
            let state = try SourceKeys.newState(forKey: key)
            #expect(state.active)
            #expect(catalog.provider(ofSourceId: state.sourceId)?.id == provider, "\(key)")
            #expect(Providers.descriptors.first { $0.id == provider }?.sourceKeys.contains { $0.newState(key) != nil } == true)
        }
        #expect(try SourceKeys.newState(forKey: "stripe.webhook.connect").params == ["connect": true])
        #expect(throws: SourceKeys.UnknownKey.self) { try SourceKeys.newState(forKey: "custom.key") }
        #expect(
            SourceKeys.forms
                == "stripe.webhook, stripe.webhook.connect, owner/repo, webhooks.<name>, slack.<app name>, discord.<app name>, twilio.<name>, shopify.<shop>, linear.<team>, typeform.<form id>, hmac.<name>, shared-secret.<name> or url-token.<name>"
        )
    }

    @Test func theToolsEventsComeFromEveryProvider() {
        let events = Providers.events
        for name in ["price.created", "push", "page.created", "page.updated"] {
            #expect(events.contains { $0.names.contains(name) && !$0.examples.isEmpty }, "\(name)")
        }
        #expect(
            Providers.variableNames == [
                "STRIPE_API_KEY", "STRIPE_API_BASE", "GITHUB_TOKEN", "GITHUB_API_BASE", "NOTION_TOKEN", "NOTION_API_BASE",
                "SHOPIFY_ACCESS_TOKEN", "SHOPIFY_API_BASE", "LINEAR_API_KEY", "LINEAR_API_BASE",
                "TYPEFORM_TOKEN", "TYPEFORM_API_BASE",
            ])
    }

    @Test func aCatalogEntryCanBeReplaced() throws {
        var catalog = try IntegrationCatalog.fromEnvironment([:])
        catalog.notion = NotionIntegration(configuration: NotionConfiguration(token: "t2"))
        #expect(catalog.notion.configuration.token == "t2")
        #expect(catalog.integrations.count == Providers.all.count)
        catalog[NotionIntegration.self] = nil
        #expect(catalog[NotionIntegration.self] == nil)
        #expect(catalog.pollingSources.isEmpty)
    }
}

/// A toy scheme: the header `X-Toy` must equal the secret.
private struct ToyScheme: WebhookSignatureScheme {
    var signatureHeaderName: String { "X-Toy" }
    struct Mismatch: Error, CustomStringConvertible { var description: String { "mismatch" } }
    func verify(_ request: SourceRequest, secret: String, now: Date) throws {
        guard request.header("X-Toy") == secret else { throw Mismatch() }
    }
}

/// A webhook-only integration is a scheme, a parser and `ExternalSource.webhook`.
@Suite struct WebhookHandlerTests {
    struct Params: Codable, Sendable { var name: String }

    let source = ExternalSource<Params>.webhook(
        id: "toy", key: { "toy.\($0.name)" },
        handler: WebhookHandler(scheme: ToyScheme()) { delivery, state in
            let payload = try delivery.json()
            let id = try delivery.requiredHeader("X-Toy-Id")
            return HandlerResult(events: [
                EventRecord(
                    id: id, name: payload["type"]?.stringValue ?? "?", source: state.params.name, timestamp: delivery.now, payload: payload)
            ])
        })

    func send(secret: String?, headers: [(String, String)], body: String) async throws -> HandlerResult {
        let state = SourceState(key: "toy.a", sourceId: "toy", params: ["name": "a"], active: true, secret: secret)
        return try await source.erased.handle(
            SourceRequest(path: "/sources/toy.a", headers: headers.map { (name: $0.0, value: $0.1) }, body: Array(body.utf8)), state: state)
    }

    func rejection(_ body: () async throws -> HandlerResult) async -> SourceRejection? {
        do { _ = try await body(); return nil } catch { return error as? SourceRejection }
    }

    @Test func verifiesParsesAndEmits() async throws {
        let result = try await send(secret: "s", headers: [("X-Toy", "s"), ("X-Toy-Id", "e1")], body: #"{"type":"thing.done"}"#)
        #expect(result.events.map(\.id) == ["e1"])
        #expect(result.events.first?.name == "thing.done")
        #expect(result.events.first?.source == "a")
    }

    @Test func refusesWithTheRightStatus() async throws {
        let noSecret = await rejection { try await send(secret: nil, headers: [("X-Toy", "s")], body: "{}") }
        #expect(noSecret?.status == 503)
        #expect(noSecret?.message == "the source has no signing secret yet")
        let forged = await rejection { try await send(secret: "s", headers: [("X-Toy", "t")], body: "{}") }
        #expect(forged?.reason == .badSignature)
        #expect(forged?.message == "X-Toy: mismatch")
        let notJSON = await rejection { try await send(secret: "s", headers: [("X-Toy", "s"), ("X-Toy-Id", "e1")], body: "nope") }
        #expect(notJSON?.reason == .malformedBody)
        #expect(notJSON?.message.hasPrefix("the body is not JSON") == true)
        let noId = await rejection { try await send(secret: "s", headers: [("X-Toy", "s")], body: "{}") }
        #expect(noId?.message == "missing header X-Toy-Id")
    }

    @Test func theDefaultRegisterKeepsTheOperatorsSecret() {
        let source = RegisterSource(key: "toy.a", active: true, data: ["x": 1], url: "https://hooks.example/sources/toy.a", secret: "op")
        let event = RegisterEvent(params: Params(name: "a"), source: source, options: ["event": OptionChange(desired: ["b", "a"])])
        #expect(RegisterResult.keepingOperatorSecret(event) == .registered(data: ["x": 1], secret: "op", options: ["event": ["a", "b"]]))
    }
}

/// A provider's fake is part of its declaration: every provider with an API (`apiBase`) has a
/// stateful fake in `FakeProviderServer`, and the fake fakes nothing else.
@Suite struct FakeProviderListTests {
    @Test func everyProviderWithAnAPIHasItsFakeAndTheFakeNoMore() {
        let withAPI = Set(Providers.descriptors.filter { $0.apiBase != nil }.map(\.id))
        #expect(withAPI == FakeProviderServer.providers)
        for provider in Providers.descriptors {
            guard let base = provider.apiBase else { continue }
            let declared = provider.variables.map(\.name)
            #expect(declared.contains(base), "\(provider.id)'s apiBase \(base) is not among its variables \(declared)")
        }
    }
}
