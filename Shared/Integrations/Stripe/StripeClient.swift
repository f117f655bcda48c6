import AsyncHTTPClient
import Foundation
import Logging
import NIOHTTP1

/// The part of Stripe's API that webhook registration needs: `/v1/webhook_endpoints`, form-encoded,
/// `Authorization: Bearer`, an `Idempotency-Key` on every mutating call, retries on 429 and 5xx.
public struct StripeClient: Sendable {
    /// Where and how to call.
    public let configuration: StripeConfiguration
    private let http: ProviderHTTP

    /// A client over `httpClient` (AsyncHTTPClient's shared client by default).
    public init(configuration: StripeConfiguration, httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "tributary.stripe")) {
        self.configuration = configuration
        self.http = ProviderHTTP(
            provider: "Stripe", httpClient: httpClient, retryPolicy: configuration.retryPolicy, logger: logger,
            timeout: configuration.requestTimeout,
            errorMessage: StripeClient.errorMessage
        )
    }

    /// One page of endpoints (at most `limit`, up to 100), after the endpoint `startingAfter`.
    public func listWebhookEndpoints(limit: Int = 100, startingAfter: String? = nil) async throws -> StripeList<StripeWebhookEndpoint> {
        var query = [("limit", String(limit))]
        if let startingAfter { query.append(("starting_after", startingAfter)) }
        return try await call(.GET, "/v1/webhook_endpoints", query: query, form: nil, idempotencyKey: nil)
    }

    /// Every endpoint of the account, following `has_more` and `starting_after` through all pages.
    public func allWebhookEndpoints() async throws -> [StripeWebhookEndpoint] {
        var all: [StripeWebhookEndpoint] = []
        var cursor: String?
        while true {
            let page = try await listWebhookEndpoints(limit: 100, startingAfter: cursor)
            all += page.data
            guard page.hasMore, let last = page.data.last else { return all }
            cursor = last.id
        }
    }

    /// Creates an endpoint; the answer carries its signing secret.
    public func createWebhookEndpoint(
        url: String, enabledEvents: [String], connect: Bool, description: String? = nil, idempotencyKey: String
    ) async throws -> StripeWebhookEndpoint {
        var form = [("url", url)] + Self.events(enabledEvents)
        if connect { form.append(("connect", "true")) }
        if let description { form.append(("description", description)) }
        return try await call(.POST, "/v1/webhook_endpoints", query: [], form: form, idempotencyKey: idempotencyKey)
    }

    /// Updates an endpoint's URL and events, and enables or disables it.
    public func updateWebhookEndpoint(
        id: String, url: String, enabledEvents: [String], disabled: Bool = false, idempotencyKey: String
    ) async throws -> StripeWebhookEndpoint {
        let form = [("url", url)] + Self.events(enabledEvents) + [("disabled", disabled ? "true" : "false")]
        return try await call(.POST, "/v1/webhook_endpoints/\(Self.escape(id))", query: [], form: form, idempotencyKey: idempotencyKey)
    }

    /// Deletes an endpoint.
    public func deleteWebhookEndpoint(id: String, idempotencyKey: String) async throws {
        struct Deleted: Decodable { var deleted: Bool? }
        let _: Deleted = try await call(
            .DELETE, "/v1/webhook_endpoints/\(Self.escape(id))", query: [], form: nil, idempotencyKey: idempotencyKey)
    }

    fileprivate func call<Result: Decodable>(
        _ method: HTTPMethod, _ path: String, query: [(String, String)], form: [(String, String)]?, idempotencyKey: String?
    ) async throws -> Result {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(configuration.apiKey)")
        headers.add(name: "User-Agent", value: "Tributary/1.0")
        if let idempotencyKey { headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        var body: [UInt8]?
        if let form {
            headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            body = Array(Self.formEncode(form).utf8)
        }
        let url = configuration.apiBase + path + (query.isEmpty ? "" : "?" + Self.formEncode(query))
        // A mutating call without an idempotency key would not be safe to repeat after a 5xx.
        let response = try await http.send(
            method: method, url: url, path: path, headers: headers, body: body, retryTransient: method == .GET || idempotencyKey != nil)
        do {
            return try JSONDecoder().decode(Result.self, from: Data(response.body))
        } catch {
            throw ProviderAPIError(
                provider: "Stripe", operation: "\(method.rawValue) \(path)", status: response.status, message: "unexpected answer: \(error)"
            )
        }
    }

    private static func events(_ events: [String]) -> [(String, String)] {
        events.enumerated().map { ("enabled_events[\($0.offset)]", $0.element) }
    }

    /// `application/x-www-form-urlencoded` encoding.
    static func formEncode(_ pairs: [(String, String)]) -> String {
        pairs.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// Stripe's `{"error": {"message": …}}`, or the status alone.
    static let errorMessage: @Sendable (Int, [UInt8]) -> String = { status, body in
        struct Envelope: Decodable { struct Inner: Decodable { var message: String?; var type: String? }; var error: Inner }
        if let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(body)), let message = envelope.error.message {
            return message
        }
        return "HTTP \(status) without a Stripe error message"
    }
}

extension StripeClient {
    /// One endpoint by id.
    public func retrieveWebhookEndpoint(id: String) async throws -> StripeWebhookEndpoint {
        try await call(.GET, "/v1/webhook_endpoints/\(Self.escape(id))", query: [], form: nil, idempotencyKey: nil)
    }
}
