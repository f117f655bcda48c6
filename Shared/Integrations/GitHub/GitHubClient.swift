import AsyncHTTPClient
import Foundation
import Logging
import NIOHTTP1

/// The part of GitHub's REST API that webhook registration needs: list (all pages, by `Link`), create,
/// update and delete of repository and organization hooks. Rate limits (429, or 403 with an exhausted
/// quota) and 5xx are retried, except that a create is never repeated blindly: GitHub has no idempotency
/// key, so the caller re-lists before trying again.
public struct GitHubClient: Sendable {
    /// Where and how to call.
    public let configuration: GitHubConfiguration
    private let http: ProviderHTTP

    /// A client over `httpClient` (AsyncHTTPClient's shared client by default).
    public init(configuration: GitHubConfiguration, httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "tributary.github")) {
        self.configuration = configuration
        self.http = ProviderHTTP(
            provider: "GitHub", httpClient: httpClient, retryPolicy: configuration.retryPolicy, logger: logger,
            timeout: configuration.requestTimeout,
            errorMessage: GitHubClient.errorMessage
        )
    }

    /// Every hook of `owner`, following the `Link: <…>; rel="next"` header through all pages.
    public func allHooks(of owner: GitHubHookOwner) async throws -> [GitHubHook] {
        var hooks: [GitHubHook] = []
        var next: String? = configuration.apiBase + owner.hooksPath + "?per_page=100"
        var visited: Set<String> = []
        while let url = next {
            // Our token goes only to our API, and a page is read once (no loop on a bad Link header).
            guard url.hasPrefix(configuration.apiBase + "/"), visited.insert(url).inserted else {
                throw ProviderAPIError(
                    provider: "GitHub", operation: "GET \(owner.hooksPath)", status: nil,
                    message: "refusing to follow the Link header to \(url)")
            }
            let response = try await send(.GET, url: url, path: owner.hooksPath, body: nil)
            hooks += try decode([GitHubHook].self, response, path: owner.hooksPath)
            next = Self.nextLink(response.headers.first(name: "link"))
        }
        return hooks
    }

    /// Creates a JSON hook for `events` at `url`, signed with `secret`. Not retried on 5xx (see the type).
    public func createHook(on owner: GitHubHookOwner, url: String, events: [String], secret: String) async throws -> GitHubHook {
        let body = HookBody(name: "web", active: true, events: events, config: .init(url: url, secret: secret))
        let response = try await send(
            .POST, url: configuration.apiBase + owner.hooksPath, path: owner.hooksPath, body: body, retryTransient: false)
        return try decode(GitHubHook.self, response, path: owner.hooksPath)
    }

    /// Sets a hook's URL, events and active flag, and its secret when one is given.
    public func updateHook(
        on owner: GitHubHookOwner, id: Int64, url: String, events: [String], secret: String?, active: Bool = true
    ) async throws -> GitHubHook {
        let path = owner.hooksPath + "/\(id)"
        let body = HookBody(name: nil, active: active, events: events, config: .init(url: url, secret: secret))
        let response = try await send(.PATCH, url: configuration.apiBase + path, path: path, body: body)
        return try decode(GitHubHook.self, response, path: path)
    }

    /// Deletes a hook; a hook already gone counts as deleted.
    public func deleteHook(on owner: GitHubHookOwner, id: Int64) async throws {
        let path = owner.hooksPath + "/\(id)"
        do {
            _ = try await send(.DELETE, url: configuration.apiBase + path, path: path, body: nil)
        } catch let error as ProviderAPIError where error.isNotFound {
            return
        }
    }

    fileprivate struct HookBody: Encodable {
        struct Config: Encodable {
            var url: String
            var contentType = "json"
            var insecureSSL = "0"
            var secret: String?
            enum CodingKeys: String, CodingKey {
                case url, secret
                case contentType = "content_type"
                case insecureSSL = "insecure_ssl"
            }
        }
        var name: String?
        var active: Bool
        var events: [String]
        var config: Config
    }

    fileprivate func send(
        _ method: HTTPMethod, url: String, path: String, body: HookBody?, retryTransient: Bool = true
    ) async throws -> ProviderHTTP.Response {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(configuration.token)")
        headers.add(name: "Accept", value: "application/vnd.github+json")
        headers.add(name: "X-GitHub-Api-Version", value: "2022-11-28")
        headers.add(name: "User-Agent", value: "Tributary/1.0")
        var bytes: [UInt8]?
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            bytes = Array(try JSONEncoder().encode(body))
        }
        return try await http.send(
            method: method, url: url, path: path, headers: headers, body: bytes, retryTransient: retryTransient,
            isRateLimited: Self.isRateLimited)
    }

    fileprivate func decode<T: Decodable>(_ type: T.Type, _ response: ProviderHTTP.Response, path: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch {
            throw ProviderAPIError(provider: "GitHub", operation: path, status: response.status, message: "unexpected answer: \(error)")
        }
    }

    /// GitHub signals rate limits with 429, or 403 with `retry-after` or an exhausted `x-ratelimit-remaining`.
    static let isRateLimited: @Sendable (Int, HTTPHeaders) -> Bool = { status, headers in
        status == 429
            || (status == 403 && (headers.first(name: "retry-after") != nil || headers.first(name: "x-ratelimit-remaining") == "0"))
    }

    /// The `rel="next"` URL of a `Link` header.
    static func nextLink(_ header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let target = pieces.first, target.hasPrefix("<"), target.hasSuffix(">") else { continue }
            if pieces.dropFirst().contains(where: { $0.replacingOccurrences(of: " ", with: "") == "rel=\"next\"" }) {
                return String(target.dropFirst().dropLast())
            }
        }
        return nil
    }

    /// GitHub's `{"message": …}`, or the status alone.
    static let errorMessage: @Sendable (Int, [UInt8]) -> String = { status, body in
        struct Envelope: Decodable { var message: String? }
        if let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(body)), let message = envelope.message {
            return message
        }
        return "HTTP \(status) without a GitHub error message"
    }
}

extension GitHubClient {
    /// One hook by id.
    public func hook(on owner: GitHubHookOwner, id: Int64) async throws -> GitHubHook {
        let path = owner.hooksPath + "/\(id)"
        let response = try await send(.GET, url: configuration.apiBase + path, path: path, body: nil)
        return try decode(GitHubHook.self, response, path: path)
    }
}
