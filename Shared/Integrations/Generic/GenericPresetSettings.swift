import Foundation
import Tributary

/// The settings of a generic webhook source (`hmac.<name>`, `shared-secret.<name>`, `url-token.<name>`),
/// set per source key by the operator (`tributary sources configure KEY name=value…`, a `configure`
/// command the registrar validates with ``GenericPresets/validate(sourceId:settings:)`` and keeps in the
/// source's data under `settings`). Names are as in the command; every one is optional except where said.
public struct GenericPresetSettings: Codable, Sendable, Hashable {
    /// A MAC algorithm of the HMAC preset.
    public enum Algorithm: String, Codable, Sendable, CaseIterable {
        /// HMAC-SHA1 (older senders).
        case sha1
        /// HMAC-SHA256 (the default).
        case sha256
        /// HMAC-SHA512.
        case sha512
    }

    /// How the HMAC preset's signature is written.
    public enum Encoding: String, Codable, Sendable, CaseIterable {
        /// Hexadecimal, either case (the default).
        case hex
        /// Standard base64.
        case base64
    }

    /// What the HMAC preset signs.
    public enum Signed: String, Codable, Sendable, CaseIterable {
        /// The raw body (the default).
        case body
        /// The `timestampHeader` value, `separator`, then the raw body; the timestamp (Unix seconds) must
        /// be within `tolerance` of now.
        case timestampAndBody = "timestamp.body"
    }

    /// The header carrying the signature (HMAC) or the shared secret (shared-secret); required for both.
    public var header: String?
    /// HMAC: the algorithm.
    public var algorithm: Algorithm?
    /// HMAC: the signature's encoding.
    public var encoding: Encoding?
    /// HMAC: a prefix before the signature in the header, e.g. `sha256=`.
    public var prefix: String?
    /// HMAC: what is signed.
    public var signed: Signed?
    /// HMAC with `timestamp.body`: the header carrying the timestamp (required then).
    public var timestampHeader: String?
    /// HMAC with `timestamp.body`: what goes between timestamp and body (default `.`).
    public var separator: String?
    /// HMAC with `timestamp.body`: seconds the timestamp may be from now, either way (default 300).
    public var tolerance: Int?
    /// The header naming the event (else `eventField`, else `webhook`).
    public var eventHeader: String?
    /// The top-level JSON field naming the event, e.g. `type`.
    public var eventField: String?
    /// The header carrying a delivery id that stays the same on the sender's retries (else `idField`,
    /// else a hash of the body, so a retried delivery keeps its id).
    public var idHeader: String?
    /// The top-level JSON field carrying the delivery id.
    public var idField: String?

    /// Settings.
    public init(
        header: String? = nil, algorithm: Algorithm? = nil, encoding: Encoding? = nil, prefix: String? = nil, signed: Signed? = nil,
        timestampHeader: String? = nil, separator: String? = nil, tolerance: Int? = nil, eventHeader: String? = nil,
        eventField: String? = nil, idHeader: String? = nil, idField: String? = nil
    ) {
        self.header = header; self.algorithm = algorithm; self.encoding = encoding; self.prefix = prefix; self.signed = signed
        self.timestampHeader = timestampHeader; self.separator = separator; self.tolerance = tolerance
        self.eventHeader = eventHeader; self.eventField = eventField; self.idHeader = idHeader; self.idField = idField
    }

    /// The setting names, for help and errors.
    public static let names = [
        "header", "algorithm", "encoding", "prefix", "signed", "timestampHeader", "separator", "tolerance", "eventHeader",
        "eventField", "idHeader", "idField",
    ]

    /// Settings from `name=value` pairs as the tool takes them; an unknown name or value is an error naming it.
    public static func parse(pairs: [String]) throws(GenericPresets.SettingsError) -> JSON {
        var object: [String: JSON] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "=") else {
                throw .init("'\(pair)' is not name=value (names: \(names.joined(separator: ", ")))")
            }
            let name = String(pair[..<equals])
            let value = String(pair[pair.index(after: equals)...])
            guard names.contains(name) else { throw .init("unknown setting '\(name)' (names: \(names.joined(separator: ", ")))") }
            if name == "tolerance" {
                guard let seconds = Int(value) else { throw .init("tolerance must be whole seconds, got '\(value)'") }
                object[name] = .number(Double(seconds))
            } else {
                object[name] = .string(value)
            }
        }
        return .object(object)
    }
}

/// The generic presets' validation, for the registrar's `configure` command and the handlers.
public enum GenericPresets {
    /// Settings that cannot be used; the message names the setting.
    public struct SettingsError: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong.
        public var message: String
        /// An error.
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// The source ids that take settings.
    public static let sourceIds: Set<String> = [hmacId, sharedSecretId, urlTokenId]

    /// `hmac`: an HMAC in a header.
    public static let hmacId = "hmac"
    /// `shared-secret`: the secret in a header.
    public static let sharedSecretId = "shared-secret"
    /// `url-token`: the secret as `?token=`.
    public static let urlTokenId = "url-token"

    /// Whether sources of `sourceId` take settings (a `configure` command for another source is refused).
    public static func takesSettings(sourceId: String) -> Bool { sourceIds.contains(sourceId) }

    /// The settings checked for a source of `sourceId`, as they are kept; throws naming what is wrong.
    public static func validate(sourceId: String, settings: JSON) throws(SettingsError) -> JSON {
        let decoded: GenericPresetSettings
        do { decoded = try settings.decode(as: GenericPresetSettings.self) } catch {
            throw SettingsError("the settings do not read: \(error) (names: \(GenericPresetSettings.names.joined(separator: ", ")))")
        }
        if let object = settings.objectValue {
            for name in object.keys where !GenericPresetSettings.names.contains(name) {
                throw SettingsError("unknown setting '\(name)' (names: \(GenericPresetSettings.names.joined(separator: ", ")))")
            }
        }
        _ = try scheme(sourceId: sourceId, settings: decoded)
        do { return try JSON(encoding: decoded) } catch { throw SettingsError("\(error)") }
    }

    /// The signature scheme of a source of `sourceId` with `settings`.
    static func scheme(sourceId: String, settings: GenericPresetSettings) throws(SettingsError) -> any WebhookSignatureScheme {
        func checkHeader(_ name: String?, _ setting: String) throws(SettingsError) -> String {
            guard let name, !name.isEmpty else { throw SettingsError("\(setting) is required") }
            guard name.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: ":") }) else {
                throw SettingsError("\(setting) '\(name)' is not a header name")
            }
            return name
        }
        switch sourceId {
        case hmacId:
            let header = try checkHeader(settings.header, "header")
            var timestampHeader: String?
            if settings.signed == .timestampAndBody {
                timestampHeader = try checkHeader(settings.timestampHeader, "timestampHeader (signed=timestamp.body)")
            } else if settings.timestampHeader != nil {
                throw SettingsError("timestampHeader is only used with signed=timestamp.body")
            }
            let tolerance = settings.tolerance ?? 300
            guard tolerance > 0 else { throw SettingsError("tolerance must be positive, got \(tolerance)") }
            return GenericHMACSignature(
                header: header, algorithm: settings.algorithm ?? .sha256, encoding: settings.encoding ?? .hex,
                prefix: settings.prefix ?? "", timestampHeader: timestampHeader, separator: settings.separator ?? ".",
                tolerance: .seconds(tolerance))
        case sharedSecretId:
            return SharedSecretHeader(header: try checkHeader(settings.header, "header"))
        case urlTokenId:
            return URLTokenScheme()
        default:
            throw SettingsError("source \(sourceId) takes no settings")
        }
    }
}
