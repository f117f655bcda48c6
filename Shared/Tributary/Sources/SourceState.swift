import Foundation

/// The state of one external source (one provider subscription), keyed by its source key.
/// It is the value on `<p>.sources` (see `SourceState.record(sealer:)`), with the secret sealed.
public struct SourceState: Sendable, Hashable {
    /// The wire-format version written by this code.
    public static let wireVersion = 1

    /// The source key, e.g. `stripe.webhook`.
    public var key: String
    /// The external source's id, e.g. `stripe`.
    public var sourceId: String
    /// The external source's version.
    public var version: String
    /// The channel.
    public var channel: SourceChannel
    /// The source params (the external source's `Params`, as JSON).
    public var params: JSON
    /// Whether the provider subscription is registered and active.
    public var active: Bool
    /// The public URL the provider posts to.
    public var url: String?
    /// The webhook signing secret (plain here; sealed on the wire).
    public var secret: String?
    /// Provider data kept by `register` (e.g. the webhook endpoint id).
    public var data: JSON
    /// Handler metadata kept between handler calls.
    public var metadata: JSON
    /// The registered values per option name (at least `event`).
    public var registered: [String: [String]]
    /// The last registration failure, if the last attempt failed.
    public var lastError: RegistrationFailure?
    /// When this state was written.
    public var updatedAt: Date
    /// The fields of its record this version does not know (a later version wrote them), kept as they
    /// were so that rewriting the state (the registrar does) loses nothing; empty for a state made here.
    public var unknownFields: [String: JSON] = [:]

    /// Creates a state.
    public init(
        key: String, sourceId: String, version: String = "1", channel: SourceChannel = .http,
        params: JSON = .object([:]), active: Bool = false, url: String? = nil, secret: String? = nil,
        data: JSON = .object([:]), metadata: JSON = .object([:]), registered: [String: [String]] = [:],
        lastError: RegistrationFailure? = nil, updatedAt: Date = Date()
    ) {
        self.key = key; self.sourceId = sourceId; self.version = version; self.channel = channel
        self.params = params; self.active = active; self.url = url; self.secret = secret; self.data = data
        self.metadata = metadata; self.registered = registered; self.lastError = lastError; self.updatedAt = updatedAt
    }
}

/// A failed registration attempt, kept on the source state until one succeeds.
public struct RegistrationFailure: Sendable, Hashable, Codable {
    /// The error message.
    public var message: String
    /// When the last attempt failed.
    public var at: Date
    /// How many attempts in a row failed.
    public var attempts: Int
    /// Creates a failure.
    public init(message: String, at: Date = Date(), attempts: Int) { self.message = message; self.at = at; self.attempts = attempts }
}

/// How events reach a source.
public enum SourceChannel: String, Sendable, Hashable, Codable {
    /// The provider posts webhooks to the receiver.
    case http
    /// The registrar polls the provider (see `PollingSource`).
    case polling
}

extension SourceState {
    /// This state after `register` returned `result`: active, with the new data, secret (`nil`:
    /// none) and registered values, and no failure. `.unchanged` only clears the failure and marks it active.
    public func applying(_ result: RegisterResult, at time: Date = Date()) -> SourceState {
        var s = self
        if case .registered(let data, let secret, let options) = result {
            s.data = data
            s.secret = secret
            s.registered = options
        }
        s.active = true
        s.lastError = nil
        s.updatedAt = time
        return s
    }

    /// This state after a failed registration attempt: the failure is kept, with its attempt count.
    public func recordingFailure(_ message: String, at time: Date = Date()) -> SourceState {
        var s = self
        s.lastError = RegistrationFailure(message: message, at: time, attempts: (lastError?.attempts ?? 0) + 1)
        s.updatedAt = time
        return s
    }
}

// MARK: - Wire format

extension SourceState {
    struct Wire: Codable {
        var v: Int
        var key: String
        var sourceId: String
        var version: String
        var channel: SourceChannel
        var params: JSON
        var active: Bool
        var url: String?
        var sealedSecret: String?
        var data: JSON
        var metadata: JSON
        var registered: [String: [String]]
        var lastError: RegistrationFailure?
        var updatedAt: Date
    }

    /// The fields of version 1, the ones this version reads.
    static let knownFields: Set<String> = [
        "v", "key", "sourceId", "version", "channel", "params", "active", "url", "sealedSecret", "data", "metadata", "registered",
        "lastError", "updatedAt",
    ]

    /// The `<p>.sources` record: key = source key, value = the state JSON with the secret sealed (and
    /// the ``unknownFields`` it was read with).
    public func record(sealer: SecretSealer) throws -> WireRecord {
        let w = Wire(
            v: Self.wireVersion, key: key, sourceId: sourceId, version: version, channel: channel,
            params: params, active: active, url: url, sealedSecret: try secret.map { try sealer.seal($0) },
            data: data, metadata: metadata, registered: registered, lastError: lastError, updatedAt: updatedAt)
        var value = Array(try JSONCoding.encoder.encode(w))
        if !unknownFields.isEmpty, case .object(var fields) = try JSON(parsing: value) {
            for (name, field) in unknownFields where !Self.knownFields.contains(name) { fields[name] = field }
            value = Array(try JSONCoding.encoder.encode(JSON.object(fields)))
        }
        return WireRecord(key: Array(key.utf8), value: value)
    }

    /// The sealed secret of a `<p>.sources` record value as written (nil when it has none or cannot be
    /// parsed): what a key rotation looks at to see which key sealed it, without unsealing it.
    public static func sealedSecret(inValue value: [UInt8]) -> String? {
        struct Sealed: Decodable { var sealedSecret: String? }
        return (try? JSONCoding.decoder.decode(Sealed.self, from: Data(value)))?.sealedSecret
    }

    /// Reads a `<p>.sources` record, unsealing the secret. A record without a value (a tombstone) throws.
    public init(record: WireRecord, sealer: SecretSealer) throws {
        guard let value = record.value else { throw WireFormatError("source state record has no value (tombstone)") }
        let w: Wire
        do { w = try JSONCoding.decoder.decode(Wire.self, from: Data(value)) } catch {
            throw WireFormatError("source state is not valid: \(error)")
        }
        guard w.v == 1 else { throw WireFormatError("unsupported source state version \(w.v)") }
        self.init(
            key: w.key, sourceId: w.sourceId, version: w.version, channel: w.channel, params: w.params,
            active: w.active, url: w.url, secret: try w.sealedSecret.map { try sealer.unseal($0) },
            data: w.data, metadata: w.metadata, registered: w.registered, lastError: w.lastError, updatedAt: w.updatedAt)
        if case .object(let fields)? = try? JSON(parsing: value) {
            unknownFields = fields.filter { !Self.knownFields.contains($0.key) }
        }
    }
}
