import Foundation

/// One entry of the audit trail on `<p>.audit`: who asked for a state-changing action (a command to the
/// registrar or the runners, a replay, a cancellation, an erasure, a key rotation), when, on what, and
/// how it ended. Never holds a secret, sealed or not: only the action's name, its target and the
/// outcome's message, plus `details` a writer chooses to be safe (e.g. a rewind's time).
/// Key: the target. Version 1.
public struct AuditRecord: Sendable, Hashable, Codable {
    /// The wire-format version written by this code.
    public static let wireVersion = 1

    /// How an audited action ended. A closed set: a reader refuses an outcome it does not know.
    public enum Outcome: String, Sendable, Hashable, Codable {
        /// Applied.
        case ok
        /// Refused by the service that owns the target; nothing was changed.
        case refused
        /// Tried and failed part way or before anything changed (the message says which).
        case failed
        /// Sent as a command nobody answered in time: it is still queued and applied later (that
        /// service then records its own entry).
        case unanswered
    }

    /// The format version (`1`).
    public var v: Int
    /// `aud_` + a UUID.
    public var id: String
    /// When the action ended (or was given up waiting for).
    public var at: Date
    /// Who asked: `user@host` for the tool (`$TRIBUTARY_USER`, else the OS user), `console:<login>` for the console.
    public var actor: String
    /// What was done: a command kind (`set-secret`, `clear-secret`, `re-register`, `rotate-keys`, `rewind`)
    /// or a tool action (`replay`, `cancel`, `erase`).
    public var action: String
    /// What it was done to: a source key, a job id, a run id, an event key, `*` for every source.
    public var target: String
    /// How it ended.
    public var outcome: Outcome
    /// What happened, for people (the service's answer, or why it failed).
    public var message: String
    /// The command it was, when it was one.
    public var commandId: String?
    /// Who applied it, e.g. `registrar@<host>`; nil when the actor's own tool did it.
    public var appliedBy: String?
    /// Safe particulars for programs (never a secret), e.g. `{"to": "2026-12-01T09:00:00Z"}` for a rewind.
    public var details: JSON?

    /// Creates an entry.
    public init(
        actor: String, action: String, target: String, outcome: Outcome, message: String, commandId: String? = nil,
        appliedBy: String? = nil, details: JSON? = nil, at: Date = Date(), id: String = "aud_" + UUID().uuidString.lowercased()
    ) {
        self.v = Self.wireVersion; self.id = id; self.at = at; self.actor = actor; self.action = action; self.target = target
        self.outcome = outcome; self.message = message; self.commandId = commandId; self.appliedBy = appliedBy; self.details = details
    }

    /// The entry for a command and its result: actor the command's sender, outcome `ok` or `refused`.
    /// The command's arguments are not copied (a `set-secret` carries a sealed secret); `details` are.
    public init(
        command: CommandRecord, result: CommandResult, details: JSON? = nil, id: String = "aud_" + UUID().uuidString.lowercased()
    ) {
        self.init(
            actor: command.issuedBy, action: command.kind.rawValue, target: command.target, outcome: result.ok ? .ok : .refused,
            message: result.message, commandId: command.id, appliedBy: result.by, details: details, at: result.at, id: id)
    }

    /// The `<p>.audit` record (key: the target).
    public func record() throws -> WireRecord {
        WireRecord(key: Array(target.utf8), value: Array(try JSONCoding.encoder.encode(self)))
    }

    /// Reads a `<p>.audit` record; throws for a tombstone, another version or an unknown outcome.
    public init(record: WireRecord) throws(WireFormatError) {
        guard let value = record.value else { throw WireFormatError("audit record has no value (tombstone)") }
        let r: AuditRecord
        do { r = try JSONCoding.decoder.decode(AuditRecord.self, from: Data(value)) } catch {
            throw WireFormatError("audit record is not valid: \(error)")
        }
        guard r.v == 1 else { throw WireFormatError("unsupported audit record version \(r.v)") }
        self = r
    }
}
