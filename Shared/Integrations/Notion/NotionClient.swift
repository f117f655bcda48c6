import AsyncHTTPClient
import Foundation
import Logging
import NIOHTTP1
import Tributary

/// The part of Notion's API that polling needs: `POST /v1/databases/{id}/query`, with
/// `Authorization: Bearer`, `Notion-Version` and retries on 429 (honouring `Retry-After`) and 5xx.
public struct NotionClient: Sendable {
    /// Where and how to call.
    public let configuration: NotionConfiguration
    private let http: ProviderHTTP

    /// A client over `httpClient` (AsyncHTTPClient's shared client by default).
    public init(configuration: NotionConfiguration, httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "tributary.notion")) {
        self.configuration = configuration
        self.http = ProviderHTTP(
            provider: "Notion", httpClient: httpClient, retryPolicy: configuration.retryPolicy, logger: logger,
            timeout: configuration.requestTimeout, errorMessage: NotionClient.errorMessage)
    }

    /// One page of the database's pages edited at or after `editedOnOrAfter` (all when nil), oldest edit
    /// first, starting at `startCursor`.
    public func queryDatabase(
        id: String, editedOnOrAfter: String?, startCursor: String?, pageSize: Int = 100
    ) async throws -> NotionQueryResult {
        var body: [String: JSON] = [
            "sorts": [["timestamp": "last_edited_time", "direction": "ascending"]],
            "page_size": .number(Double(pageSize)),
        ]
        if let editedOnOrAfter {
            body["filter"] = ["timestamp": "last_edited_time", "last_edited_time": ["on_or_after": .string(editedOnOrAfter)]]
        }
        if let startCursor { body["start_cursor"] = .string(startCursor) }
        let path = "/v1/databases/\(Self.escape(id))/query"
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(configuration.token)")
        headers.add(name: "Notion-Version", value: NotionConfiguration.apiVersion)
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "User-Agent", value: "Tributary/1.0")
        // A query reads only, so it is safe to repeat after a 5xx.
        let response = try await http.send(
            method: .POST, url: configuration.apiBase + path, path: path, headers: headers,
            body: JSON.object(body).encoded())
        do {
            return try JSONDecoder().decode(NotionQueryResult.self, from: Data(response.body))
        } catch {
            throw ProviderAPIError(
                provider: "Notion", operation: "POST \(path)", status: response.status, message: "unexpected answer: \(error)")
        }
    }

    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// Notion's `{"object": "error", "code", "message"}`, or the status alone.
    static let errorMessage: @Sendable (Int, [UInt8]) -> String = { status, body in
        struct Envelope: Decodable { var code: String?; var message: String? }
        if let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(body)), let message = envelope.message {
            return envelope.code.map { "\($0): \(message)" } ?? message
        }
        return "HTTP \(status) without a Notion error message"
    }
}
