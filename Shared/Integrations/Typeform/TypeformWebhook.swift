/// A Typeform webhook as the API returns it: one per form and tag (Typeform does not return its secret).
public struct TypeformWebhook: Codable, Sendable, Equatable {
    /// Typeform's id of the webhook.
    public var id: String?
    /// The form it belongs to.
    public var formId: String?
    /// Its tag, unique within the form (ours: ``TypeformWebhookSource/tag(for:)``).
    public var tag: String
    /// Where Typeform posts.
    public var url: String
    /// Whether deliveries are sent.
    public var enabled: Bool
    /// The event types sent (`form_response`, `form_response_partial`); absent means `form_response` only.
    public var eventTypes: [String: Bool]?

    enum CodingKeys: String, CodingKey {
        case id, tag, url, enabled
        case formId = "form_id"
        case eventTypes = "event_types"
    }

    /// The event types that are on (`form_response` when Typeform lists none).
    public var events: Set<String> {
        guard let eventTypes else { return ["form_response"] }
        return Set(eventTypes.filter(\.value).keys)
    }
}
