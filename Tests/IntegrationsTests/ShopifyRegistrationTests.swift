import FakeProviders
import Foundation
import Testing
import Tributary
@testable import TributaryIntegrations

/// `shopify.<shop>` registration against the fake Admin API, as the registrar runs it.
@Suite struct ShopifyRegistrationTests {
    let url = "https://hooks.acme.example/sources/shopify.acme-outdoor"
    let shop = "acme-outdoor.myshopify.com"

    func simulator(_ server: FakeProviderServer, _ base: String, token: String? = nil) -> RegistrarSimulator<NamedSourceParams> {
        let shopify = ShopifyIntegration(
            configuration: ShopifyConfiguration(token: token ?? server.shopify.token, apiBase: base, retryPolicy: testRetryPolicy))
        var sim = RegistrarSimulator(source: shopify.source, params: NamedSourceParams(name: "acme-outdoor"), url: url)
        sim.secret = server.shopify.appSecret  // `tributary sources set-secret shopify.acme-outdoor <app secret>`
        return sim
    }

    func ours(_ server: FakeProviderServer) -> [FakeShopifyAPI.Subscription] {
        server.shopify.subscriptions.filter { $0.address == url }
    }

    func mutations(_ server: FakeProviderServer) -> [FakeRequestRecord] { server.shopify.requests.filter { $0.method != "GET" } }

    @Test func theShopsDomainAndBaseURL() {
        #expect(ShopifyConfiguration.domain(ofShop: "acme") == "acme.myshopify.com")
        #expect(ShopifyConfiguration.domain(ofShop: "shop.acme.example") == "shop.acme.example")
        #expect(ShopifyConfiguration(token: "t").base(forShop: "acme") == "https://acme.myshopify.com")
        #expect(
            ShopifyConfiguration(token: "t", apiBase: "http://127.0.0.1:9/").base(forShop: "acme")
                == "http://127.0.0.1:9/acme.myshopify.com")
    }

    @Test func firstRegistrationSubscribesEachTopicOnce() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(server, base)
            try await sim.register(["orders/create", "orders/paid"])
            let subscriptions = ours(server)
            #expect(subscriptions.map(\.topic).sorted() == ["orders/create", "orders/paid"])
            #expect(subscriptions.allSatisfy { $0.shop == shop && $0.format == "json" })
            #expect(sim.registered == ["orders/create", "orders/paid"])
            #expect(sim.secret == server.shopify.appSecret, "the app secret stays held")
            #expect(
                sim.data["subscriptions"]?["orders/create"]?.numberValue == Double(subscriptions.first { $0.topic == "orders/create" }!.id))

            // A delivery signed as Shopify signs it verifies with the held secret.
            let body = Array(##"{"id":5801234567890,"name":"#1001"}"##.utf8)
            let result = try await deliver(
                ShopifyIntegration().source, name: "acme-outdoor", secret: sim.secret,
                headers: [
                    ("X-Shopify-Hmac-Sha256", ShopifySignature.header(body: body, secret: server.shopify.appSecret)),
                    ("X-Shopify-Topic", "orders/create"), ("X-Shopify-Webhook-Id", "w1"),
                ], body: body)
            #expect(result.events.map(\.name) == ["orders/create"])
        }
    }

    @Test func aNewJobAddsATopicARemovedOneIsUnsubscribedAndSettledMakesNoCall() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(server, base)
            try await sim.register(["orders/create"])
            let first = try #require(ours(server).first)
            try await sim.register(["orders/create", "products/update"])
            #expect(ours(server).map(\.topic).sorted() == ["orders/create", "products/update"])
            #expect(ours(server).contains(first), "the existing subscription is kept")

            let before = mutations(server).count
            #expect(try await sim.register(["orders/create", "products/update"]) == .unchanged)
            #expect(mutations(server).count == before)

            try await sim.register(["products/update"])
            #expect(ours(server).map(\.topic) == ["products/update"])
            try await sim.register([])
            #expect(ours(server).isEmpty && sim.registered.isEmpty)
        }
    }

    @Test func aSubscriptionDeletedBehindOurBackIsRecreatedAndStraysRemoved() async throws {
        try await withFakeProviders { server, base in
            // Left from before: an XML subscription, a duplicate, a topic no job wants; and someone else's.
            server.shopify.seed(shop: shop, topic: "orders/create", address: url, format: "xml")
            server.shopify.seed(shop: shop, topic: "customers/create", address: url)
            let theirs = server.shopify.seed(shop: shop, topic: "orders/create", address: "https://erp.acme.example/hook")
            let otherShop = server.shopify.seed(shop: "other.myshopify.com", topic: "orders/create", address: url)
            var sim = simulator(server, base)
            try await sim.register(["orders/create"])
            #expect(ours(server).filter { $0.shop == shop }.map(\.format) == ["json"])
            #expect(ours(server).filter { $0.shop == shop }.map(\.topic) == ["orders/create"])
            #expect(server.shopify.subscriptions.contains(theirs) && server.shopify.subscriptions.contains(otherShop))

            let id = try #require(ours(server).first { $0.shop == shop }?.id)
            server.shopify.remove(id: id)
            try await sim.register(["orders/create"])  // settled on our side: drift is found by listing
            let again = ours(server).filter { $0.shop == shop }
            #expect(again.count == 1 && again[0].id != id && again[0].topic == "orders/create")
        }
    }

    @Test func everyPageIsListed() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(server, base)
            try await sim.register(["orders/create"])
            for i in 0..<300 { server.shopify.seed(shop: shop, topic: "orders/create", address: "https://tenant\(i).example/hook") }
            let lists = server.shopify.requests.filter { $0.method == "GET" }.count
            try await sim.register(["orders/create", "orders/paid"])
            #expect(server.shopify.requests.filter { $0.method == "GET" }.count - lists == 2, "two pages of at most 250")
            #expect(ours(server).map(\.topic).sorted() == ["orders/create", "orders/paid"], "ours (on page 1) found, not duplicated")
            // Ours on the last page: a registrar that lost its state still finds it.
            server.shopify.remove(id: ours(server).first { $0.topic == "orders/create" }!.id)
            server.shopify.seed(shop: shop, topic: "orders/create", address: url)
            sim.active = false
            let creates = server.shopify.requests.filter { $0.method == "POST" }.count
            try await sim.register(["orders/create", "orders/paid"])
            #expect(server.shopify.requests.filter { $0.method == "POST" }.count == creates, "nothing created")
            #expect(ours(server).count == 2)
        }
    }

    @Test func rateLimitsAreRetriedAndALostCreateIsNotDuplicated() async throws {
        try await withFakeProviders { server, base in
            server.shopify.inject(
                FakeFailure(status: 429, retryAfter: "0.01", method: "POST"),
                FakeFailure(status: 503, method: "POST", afterProcessing: true))
            var sim = simulator(server, base)
            try await sim.register(["orders/create"])
            let posts = server.shopify.requests.filter { $0.method == "POST" }.map(\.status)
            #expect(posts == [429, 503], "the 429 is retried; the 503 is not repeated blindly")
            #expect(ours(server).count == 1, "the lost create was found by listing again")
            #expect(sim.registered == ["orders/create"])
            #expect(sim.data["subscriptions"]?["orders/create"] != nil)
        }
    }

    @Test func serverErrorsOnListingAreRetriedAndPersistentOnesSurface() async throws {
        try await withFakeProviders { server, base in
            server.shopify.inject(FakeFailure(status: 500, method: "GET"), FakeFailure(status: 502, method: "GET"))
            var sim = simulator(server, base)
            try await sim.register(["orders/create"])
            #expect(ours(server).count == 1)

            server.shopify.inject(FakeFailure(status: 500), FakeFailure(status: 500), FakeFailure(status: 500), FakeFailure(status: 500))
            var fresh = simulator(server, base)
            let error = await #expect(throws: TaskFailedError.self) { try await fresh.register(["orders/paid"]) }
            let api = try #require(error?.underlying as? ProviderAPIError)
            #expect(api.provider == "Shopify" && api.status == 500 && api.message == "Injected failure 500")
        }
    }

    @Test func nothingIsSubscribedBeforeTheAppSecretIsHeld() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(server, base)
            sim.secret = nil
            let error = await #expect(throws: ShopifyRegistration.NoAppSecret.self) { try await sim.register(["orders/create"]) }
            #expect(error?.description.contains("tributary sources set-secret shopify.acme-outdoor <app secret>") == true)
            #expect(server.shopify.requests.isEmpty)
        }
    }

    @Test func aWrongTokenSurfacesShopifysMessage() async throws {
        try await withFakeProviders { server, base in
            var sim = simulator(server, base, token: "wrong")
            let error = await #expect(throws: TaskFailedError.self) { try await sim.register(["orders/create"]) }
            let api = try #require(error?.underlying as? ProviderAPIError)
            #expect(api.status == 401 && api.message.contains("Invalid API key or access token"))
            #expect(server.shopify.requests.count == 1)
        }
    }
}
