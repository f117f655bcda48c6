import AsyncHTTPClient
import Foundation
import Logging
import NIOHTTP1

/// A JSON API of a provider (Typeform, Shopify, Linear): its base URL, the headers every call carries
/// (credentials), JSON bodies in and out, and `ProviderHTTP`'s retries on 429, 5xx and transport errors.
/// Logs method, path and status only.
struct ProviderJSONAPI: Sendable {
    /// The provider's name for messages, e.g. `Typeform`.
    var provider: String
    /// The base URL, without a trailing slash.
    var base: String
    /// Headers sent with every call (authorization, user agent).
    var headers: HTTPHeaders
    var http: ProviderHTTP

    /// An API over `httpClient`; `errorMessage` turns an error answer into the provider's message.
    init(
        provider: String, base: String, headers: [(String, String)], retryPolicy: RetryPolicy, timeout: Duration,
        httpClient: HTTPClient, logger: Logger, errorMessage: @escaping @Sendable (Int, [UInt8]) -> String
    ) {
        self.provider = provider
        self.base = base
        var all = HTTPHeaders(headers)
        all.add(name: "User-Agent", value: "Tributary/1.0")
        all.add(name: "Accept", value: "application/json")
        self.headers = all
        self.http = ProviderHTTP(
            provider: provider, httpClient: httpClient, retryPolicy: retryPolicy, logger: logger, timeout: timeout,
            errorMessage: errorMessage)
    }

    /// Sends `body` (JSON) to `path` (or to `url` when given, e.g. a next-page link) and returns the 2xx answer.
    /// `retryTransient: false` for a call that is not safe to repeat after a lost answer (a create).
    func send(
        _ method: HTTPMethod, _ path: String, url: String? = nil, body: (any Encodable & Sendable)? = nil, retryTransient: Bool = true
    ) async throws -> ProviderHTTP.Response {
        var headers = self.headers
        var bytes: [UInt8]?
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            bytes = Array(try JSONEncoder().encode(body))
        }
        return try await http.send(
            method: method, url: url ?? base + path, path: path, headers: headers, body: bytes, retryTransient: retryTransient)
    }

    /// The answer's body decoded as `T`, or a `ProviderAPIError` naming the call.
    func decode<T: Decodable>(_ type: T.Type, _ response: ProviderHTTP.Response, operation: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch {
            throw ProviderAPIError(
                provider: provider, operation: operation, status: response.status, message: "unexpected answer: \(error)")
        }
    }

    /// The message of a JSON error answer: the first string found under `keys` (e.g. `description`,
    /// `message`, `errors`), or the status alone.
    static func errorMessage(provider: String, keys: [String]) -> @Sendable (Int, [UInt8]) -> String {
        { status, body in
            if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
                for key in keys {
                    if let text = object[key] as? String { return text }
                    if let value = object[key],
                        let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
                    {
                        return String(decoding: data, as: UTF8.self)
                    }
                }
            }
            return "HTTP \(status) without a \(provider) error message"
        }
    }
}

/// A webhook secret we generate for providers that accept ours (GitHub, Typeform, Linear), and a
/// fingerprint that tells secrets apart in task keys without revealing them.
enum GeneratedSecret {
    /// 32 bytes from the system's secure generator, as 64 hex digits.
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// 8 hex digits of SHA-256(secret).
    static func fingerprint(_ secret: String) -> String {
        Hex.encode(HMACSHA256.sha256(Array(secret.utf8)).prefix(4))
    }
}
