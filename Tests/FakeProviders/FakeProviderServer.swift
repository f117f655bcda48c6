import Foundation
import Hummingbird
import Logging
import NIOCore

/// Serves both fakes on one loopback port: Stripe under `/v1/…`, GitHub under `/repos/…` and `/orgs/…`,
/// Notion under `/v1/databases/…` , Typeform under `/forms/…` , Shopify under `/{shop}/admin/api/…` and Linear at `/graphql`, so `STRIPE_API_BASE`, `GITHUB_API_BASE` and `NOTION_API_BASE` can all be the base URL. Also `GET /_fake/stripe/endpoints`
/// (with secrets, for system tests that sign deliveries), `POST /_fake/stripe/deliver` and
/// `POST /_fake/github/deliver` (signed deliveries to the registered URLs, see `FakeDeliverer`) and
/// `GET /healthz`.
public struct FakeProviderServer: Sendable {
    /// The providers whose APIs this server fakes, by provider id: every provider of
    /// `Providers.all` with an `apiBase` must be here (`FakeProviderListTests`).
    public static let providers: Set<String> = ["stripe", "github", "notion", "typeform", "shopify", "linear"]

    /// The Stripe fake.
    public let stripe: FakeStripeAPI
    /// The GitHub fake.
    public let github: FakeGitHubAPI
    /// The Notion fake (`/v1/databases/…`).
    public let notion: FakeNotionAPI
    /// The Typeform fake (`/forms/{id}/webhooks…`).
    public let typeform: FakeTypeformAPI
    /// The Shopify fake (`/{shop domain}/admin/api/…`).
    public let shopify: FakeShopifyAPI
    /// The Linear fake (`POST /graphql`).
    public let linear: FakeLinearAPI

    /// A server over the given fakes.
    public init(
        stripe: FakeStripeAPI = FakeStripeAPI(), github: FakeGitHubAPI = FakeGitHubAPI(), notion: FakeNotionAPI = FakeNotionAPI(),
        typeform: FakeTypeformAPI = FakeTypeformAPI(), shopify: FakeShopifyAPI = FakeShopifyAPI(),
        linear: FakeLinearAPI = FakeLinearAPI()
    ) {
        self.linear = linear
        self.shopify = shopify
        self.stripe = stripe
        self.github = github
        self.notion = notion
        self.typeform = typeform
    }

    /// Answers one request by path.
    public func handle(_ request: FakeRequest) async -> FakeResponse {
        let deliverer = FakeDeliverer(stripe: stripe, github: github)
        if request.method == "POST" && request.path == "/_fake/stripe/deliver" { return await deliverer.deliverStripe(request) }
        if request.method == "POST" && request.path == "/_fake/github/deliver" { return await deliverer.deliverGitHub(request) }
        if request.path == "/healthz" { return FakeResponse(status: 200, body: Array("ok".utf8)) }
        if request.path == "/_fake/stripe/endpoints" {
            return .json(
                200,
                stripe.endpoints.map { e -> [String: Any] in
                    var object = FakeStripeAPI.json(e, withSecret: true)
                    object["connect"] = e.connect
                    return object
                })
        }
        if request.path.hasPrefix("/v1/databases/") { return notion.handle(request) }
        if request.path.hasPrefix("/forms/") { return typeform.handle(request) }
        if request.path.contains("/admin/api/") { return shopify.handle(request) }
        if request.path == "/graphql" { return linear.handle(request) }
        if request.path.hasPrefix("/v1/") { return stripe.handle(request) }
        return github.handle(request)
    }

    /// Runs on `host:port` (0 picks a free port) until the calling task is cancelled; `onRunning` gets the
    /// base URL once the server listens. Logs only at `logLevel` and above, never bodies.
    public func run(
        host: String = "127.0.0.1", port: Int = 0, logLevel: Logger.Level = .warning, onRunning: @escaping @Sendable (String) async -> Void
    ) async throws {
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let body = try await request.body.collect(upTo: 4 * 1024 * 1024)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let query = request.uri.query.map { FakeForm.decode($0) } ?? []
            let fake = FakeRequest(
                method: request.method.rawValue, path: request.uri.path, query: query, headers: headers, body: Array(body.readableBytesView)
            )
            let answer = await handle(fake)
            var fields = HTTPFields()
            for (name, value) in answer.headers {
                if let name = HTTPFields.Element.Name(name) { fields.append(HTTPFields.Element(name: name, value: value)) }
            }
            return Response(status: .init(code: answer.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
        let github = self.github
        let shopify = self.shopify
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                let base = "http://\(host):\(channel.localAddress?.port ?? port)"
                github.setBaseURL(base)
                shopify.setBaseURL(base)
                await onRunning(base)
            },
            logger: {
                var logger = Logger(label: "fake-providers")
                logger.logLevel = logLevel
                return logger
            }()
        )
        try await app.run()
    }
}
