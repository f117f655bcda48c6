import Foundation

/// What a command asks for, e.g. `set-secret`. Open-ended: each service applies the kinds it knows
/// and ignores every other kind (it writes no result for them), so a new kind needs no change elsewhere.
public struct CommandKind: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The kind as written on the topic.
    public var rawValue: String
    /// A kind by name.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// A kind from a literal.
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    /// Registrar: set a source's signing secret (`arguments.sealedSecret`, sealed with `TRIBUTARY_SECRET_KEY`).
    public static let setSecret: CommandKind = "set-secret"
    /// Registrar: remove a source's signing secret.
    public static let clearSecret: CommandKind = "clear-secret"
    /// Registrar: set the settings of a source that takes them (the generic presets: `arguments.settings`,
    /// a JSON object, checked before it is kept on the source's data).
    public static let configure: CommandKind = "configure"
    /// Registrar: register the source with its provider now (check and repair it, like a resync), or poll it now.
    public static let reregister: CommandKind = "re-register"
    /// Runners: re-deliver a job's events from `arguments.to` (RFC 3339) on; each runner that consumes
    /// the job answers for the partitions it holds (`arguments` of its result: `partitions`, `offsets`).
    public static let rewind: CommandKind = "rewind"

    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A command on `<p>.commands` (key: its target): sent by the tool or the console, applied by the
/// service that handles its kind (the registrar's leader for source commands, the runners for job
/// commands), which answers with a ``CommandResult`` keyed the same way, so it follows the command.
/// Never carries a secret in the clear: a secret is sealed (``SecretSealer``).
public struct CommandRecord: Sendable, Hashable {
    /// `cmd_` + a UUID: what the result names.
    public var id: String
    /// What to do.
    public var kind: CommandKind
    /// What it applies to: a source key or a job id (the record's key).
    public var target: String
    /// When it was sent.
    public var issuedAt: Date
    /// Who sent it: `user@host` for the tool, `console` (or `console:<user>`) for the console.
    public var issuedBy: String
    /// The kind's arguments, a JSON object (`{}` when it has none).
    public var arguments: JSON

    /// A new command with a fresh id.
    public init(
        kind: CommandKind, target: String, arguments: JSON = .object([:]), issuedBy: String,
        issuedAt: Date = Date(), id: String = "cmd_" + UUID().uuidString.lowercased()
    ) {
        self.id = id; self.kind = kind; self.target = target; self.issuedAt = issuedAt
        self.issuedBy = issuedBy; self.arguments = arguments
    }

    /// `set-secret` for a source key, with the secret already sealed.
    public static func setSecret(source: String, sealedSecret: String, issuedBy: String) -> CommandRecord {
        CommandRecord(kind: .setSecret, target: source, arguments: ["sealedSecret": .string(sealedSecret)], issuedBy: issuedBy)
    }

    /// `clear-secret` for a source key.
    public static func clearSecret(source: String, issuedBy: String) -> CommandRecord {
        CommandRecord(kind: .clearSecret, target: source, issuedBy: issuedBy)
    }

    /// `configure` for a source key: its settings (a JSON object; no secrets).
    public static func configure(source: String, settings: JSON, issuedBy: String) -> CommandRecord {
        CommandRecord(kind: .configure, target: source, arguments: ["settings": settings], issuedBy: issuedBy)
    }

    /// `re-register` for a source key.
    public static func reregister(source: String, issuedBy: String) -> CommandRecord {
        CommandRecord(kind: .reregister, target: source, issuedBy: issuedBy)
    }

    /// `rewind` for a job id: its events from `time` on run again (those not finished within the dedup window).
    public static func rewind(job: String, to time: Date, issuedBy: String) -> CommandRecord {
        CommandRecord(kind: .rewind, target: job, arguments: ["to": .string(RFC3339.string(from: time))], issuedBy: issuedBy)
    }

    /// `arguments.to` (`rewind`).
    public var rewindTime: Date? { arguments["to"]?.stringValue.flatMap(RFC3339.date(from:)) }

    /// `arguments.sealedSecret` (`set-secret`).
    public var sealedSecret: String? { arguments["sealedSecret"]?.stringValue }

    /// The answer to this command.
    public func result(ok: Bool, message: String, by: String, at: Date = Date(), details: JSON? = nil) -> CommandResult {
        CommandResult(commandId: id, kind: kind, target: target, ok: ok, message: message, by: by, at: at, details: details)
    }

    /// The `<p>.commands` record (key: the target).
    public func record() throws -> WireRecord { try CommandTopicRecord.command(self).record() }
}

/// The answer to a command, on `<p>.commands` with the command's key (so on its partition, after it).
public struct CommandResult: Sendable, Hashable {
    /// The command answered.
    public var commandId: String
    /// The command's kind.
    public var kind: CommandKind
    /// The command's target.
    public var target: String
    /// Whether the command was applied; false when it was refused (then nothing was changed).
    public var ok: Bool
    /// What happened, for people: e.g. `secret set for webhooks.resend`, or why it was refused.
    public var message: String
    /// Who answered, e.g. `registrar@host`.
    public var by: String
    /// When.
    public var at: Date
    /// What the kind reports for programs (e.g. a rewind's `partitions` and `offsets`), if anything.
    public var details: JSON?

    /// Creates a result.
    public init(
        commandId: String, kind: CommandKind, target: String, ok: Bool, message: String, by: String, at: Date = Date(),
        details: JSON? = nil
    ) {
        self.commandId = commandId; self.kind = kind; self.target = target; self.ok = ok
        self.message = message; self.by = by; self.at = at; self.details = details
    }

    /// The `<p>.commands` record (key: the target).
    public func record() throws -> WireRecord { try CommandTopicRecord.result(self).record() }
}

/// One record of `<p>.commands`: a command or a result; the `type` field (`command`, `result`) says which.
/// Version 1.
public enum CommandTopicRecord: Sendable, Hashable {
    case command(CommandRecord)
    case result(CommandResult)

    /// The wire-format version written by this code.
    public static let wireVersion = 1

    struct Wire: Codable {
        var v: Int
        var type: String
        var kind: CommandKind
        var target: String
        // command
        var id: String?
        var issuedAt: Date?
        var issuedBy: String?
        var arguments: JSON?
        // result
        var commandId: String?
        var ok: Bool?
        var message: String?
        var by: String?
        var at: Date?
        var details: JSON?
    }

    /// The record: key = the target, value = the JSON object.
    public func record() throws -> WireRecord {
        let wire: Wire
        switch self {
        case .command(let c):
            wire = Wire(
                v: Self.wireVersion, type: "command", kind: c.kind, target: c.target, id: c.id,
                issuedAt: c.issuedAt, issuedBy: c.issuedBy, arguments: c.arguments)
        case .result(let r):
            wire = Wire(
                v: Self.wireVersion, type: "result", kind: r.kind, target: r.target,
                commandId: r.commandId, ok: r.ok, message: r.message, by: r.by, at: r.at, details: r.details)
        }
        return WireRecord(key: Array(wire.target.utf8), value: Array(try JSONCoding.encoder.encode(wire)))
    }

    /// Reads a `<p>.commands` record; throws for a tombstone, another version, an unknown `type` or a
    /// missing field. A command of a kind the reader does not know is read fine: ignoring it is the reader's choice.
    public init(record: WireRecord) throws(WireFormatError) {
        guard let value = record.value else { throw WireFormatError("command record has no value (tombstone)") }
        let w: Wire
        do { w = try JSONCoding.decoder.decode(Wire.self, from: Data(value)) } catch {
            throw WireFormatError("command record is not valid: \(error)")
        }
        guard w.v == 1 else { throw WireFormatError("unsupported command record version \(w.v)") }
        switch w.type {
        case "command":
            guard let id = w.id, let issuedAt = w.issuedAt, let issuedBy = w.issuedBy else {
                throw WireFormatError("command record without id, issuedAt or issuedBy")
            }
            self = .command(
                CommandRecord(
                    kind: w.kind, target: w.target, arguments: w.arguments ?? .object([:]),
                    issuedBy: issuedBy, issuedAt: issuedAt, id: id))
        case "result":
            guard let commandId = w.commandId, let ok = w.ok, let message = w.message, let by = w.by, let at = w.at else {
                throw WireFormatError("command result without commandId, ok, message, by or at")
            }
            self = .result(
                CommandResult(
                    commandId: commandId, kind: w.kind, target: w.target, ok: ok, message: message, by: by, at: at,
                    details: w.details))
        default:
            throw WireFormatError("unknown command record type \(w.type) (expected command or result)")
        }
    }
}
