import AsyncHTTPClient
import Foundation
import Logging

/// The part of Typeform's API that webhook registration needs: `GET /forms/{id}/webhooks` (one list,
/// not paginated), and `GET`, `PUT` (create or replace, with our secret) and `DELETE` of
/// `/forms/{id}/webhooks/{tag}`, with `Authorization: Bearer`. A PUT names its webhook by tag, so
/// repeating it after a lost answer changes nothing: every call is retried on 429 and 5xx.
public struct TypeformClient: Sendable {
    /// Where and how to call.
    public let configuration: TypeformConfiguration
    private let api: ProviderJSONAPI

    /// A client over `httpClient`.
    public init(
        configuration: TypeformConfiguration, httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "tributary.typeform")
    ) {
        self.configuration = configuration
        self.api = ProviderJSONAPI(
            provider: "Typeform", base: configuration.apiBase, headers: [("Authorization", "Bearer \(configuration.token)")],
            retryPolicy: configuration.retryPolicy, timeout: configuration.requestTimeout, httpClient: httpClient, logger: logger,
            errorMessage: ProviderJSONAPI.errorMessage(provider: "Typeform", keys: ["description", "message", "code"]))
    }

    /// Every webhook of the form.
    public func webhooks(form formId: String) async throws -> [TypeformWebhook] {
        struct Items: Decodable { var items: [TypeformWebhook] }
        let path = Self.path(formId)
        return try api.decode(Items.self, try await api.send(.GET, path), operation: "GET \(path)").items
    }

    /// The webhook `tag` of the form, or nil when there is none.
    public func webhook(form formId: String, tag: String) async throws -> TypeformWebhook? {
        let path = Self.path(formId, tag)
        do {
            return try api.decode(TypeformWebhook.self, try await api.send(.GET, path), operation: "GET \(path)")
        } catch let error as ProviderAPIError where error.isNotFound {
            return nil
        }
    }

    /// Creates or replaces the webhook `tag`: its URL, events, and the secret Typeform signs with.
    public func putWebhook(form formId: String, tag: String, url: String, events: [String], secret: String) async throws -> TypeformWebhook
    {
        struct Body: Encodable, Sendable {
            var url: String
            var enabled = true
            var secret: String
            var verifySSL = true
            var eventTypes: [String: Bool]
            enum CodingKeys: String, CodingKey {
                case url, enabled, secret
                case verifySSL = "verify_ssl"
                case eventTypes = "event_types"
            }
        }
        let path = Self.path(formId, tag)
        let body = Body(url: url, secret: secret, eventTypes: Dictionary(uniqueKeysWithValues: events.map { ($0, true) }))
        return try api.decode(TypeformWebhook.self, try await api.send(.PUT, path, body: body), operation: "PUT \(path)")
    }

    /// Deletes the webhook `tag`; one already gone counts as deleted.
    public func deleteWebhook(form formId: String, tag: String) async throws {
        do {
            _ = try await api.send(.DELETE, Self.path(formId, tag))
        } catch let error as ProviderAPIError where error.isNotFound {
            return
        }
    }

    static func path(_ formId: String, _ tag: String? = nil) -> String {
        "/forms/\(StripeClient.escape(formId))/webhooks" + (tag.map { "/" + StripeClient.escape($0) } ?? "")
    }
}
