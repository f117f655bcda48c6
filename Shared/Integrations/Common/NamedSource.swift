import Foundation
import Tributary

/// The params of a webhook source the operator names under a provider's prefix (`slack.<app name>`,
/// `shopify.<shop>`…): a sender with no subscription API we call, whose secret the operator sets
/// (`tributary sources set-secret <prefix>.<name> SECRET`).
public struct NamedSourceParams: Codable, Sendable, Hashable {
    /// The operator's name for it: letters, digits, `-`, `_` or `.` (e.g. `acme-bot`, `acme.myshopify.com`).
    public var name: String

    /// Params.
    public init(name: String) {
        self.name = name
    }

    /// Whether `name` is usable in a source key.
    static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
    }
}

extension ExternalSource where Params == NamedSourceParams {
    /// A webhook source keyed `<prefix>.<name>` whose handler verifies with `scheme` and parses with
    /// `parse`; without a secret it answers 503 telling the operator to set `secretName`. `register`
    /// defaults to keeping the operator's secret (a subscription made by hand at the provider).
    public static func named(
        id: String, prefix: String, secretName: String, scheme: any WebhookSignatureScheme,
        register: Register? = nil,
        parse: @escaping WebhookHandler<NamedSourceParams>.Parse
    ) -> ExternalSource {
        .webhook(
            id: id, key: { "\(prefix).\($0.name)" },
            validate: { params in
                guard NamedSourceParams.isValid(params.name) else {
                    throw SourceParamsError(sourceId: id, message: "name '\(params.name)' must be letters, digits, '-', '_' or '.'")
                }
            },
            handler: WebhookHandler(
                scheme: scheme,
                missingSecret: { "no secret is configured for \($0.key); run `tributary sources set-secret \($0.key) <\(secretName)>`" },
                parse: parse),
            register: register ?? { event, _, _ in .keepingOperatorSecret(event) })
    }
}

extension SourceKeyRule {
    /// Keys `<prefix>.<name>` of the named source `sourceId`, e.g. `slack.<app name>`.
    public static func named(prefix: String, sourceId: String, form: String) -> SourceKeyRule {
        SourceKeyRule(form: "\(prefix).<\(form)>") { key in
            guard key.hasPrefix(prefix + ".") else { return nil }
            let name = String(key.dropFirst(prefix.count + 1))
            guard NamedSourceParams.isValid(name) else { return nil }
            return SourceState(key: key, sourceId: sourceId, params: ["name": .string(name)], active: true)
        }
    }
}

extension WebhookDelivery {
    /// The body as a JSON object, or a 400.
    func jsonObject() throws -> JSON {
        let payload = try json()
        guard payload.objectValue != nil else { throw SourceRejection.malformedBody("the body is not a JSON object") }
        return payload
    }
}

/// A specification of a named provider's event, with one example (for `tributary send`).
func namedEvent(
    _ name: String, title: String, source: String, icon: String, example: JSON,
    properties: @escaping @Sendable (JSON) -> [RunProperty] = { _ in [] }
) -> EventSpecification<JSON> {
    EventSpecification(
        name: name, title: title, source: source, icon: icon,
        examples: [EventExample(id: name, name: title, icon: icon, payload: example)], runProperties: properties)
}
