import Foundation

/// A dead letter on `<p>.dlq`: the original event message (key, value, headers kept as they were)
/// plus why it failed, carried in `tributary_dlq_*` headers appended after the original ones.
/// Version 1. `tributary replay` republishes `original`.
public struct DLQRecord: Sendable, Hashable, Codable {
    /// The wire-format version written by this code.
    public static let wireVersion = 1
    /// The prefix of the headers that carry the failure.
    public static let headerPrefix = "tributary_dlq_"

    /// The original message from `<p>.events`.
    public var original: WireRecord
    /// Why it failed (the last error, or why the event could not be read).
    public var reason: String
    /// The job whose run failed (nil when the event itself was unreadable).
    public var jobId: String?
    /// The run id.
    public var runId: String?
    /// How many attempts were made.
    public var attempts: Int
    /// When it was dead-lettered.
    public var failedAt: Date

    /// Creates a dead letter.
    public init(
        original: WireRecord, reason: String, jobId: String? = nil, runId: String? = nil, attempts: Int = 0,
        failedAt: Date = Date()
    ) {
        self.original = original; self.reason = reason; self.jobId = jobId; self.runId = runId
        self.attempts = attempts; self.failedAt = failedAt
    }

    /// The `<p>.dlq` record: key and value of the original, its headers, then the `tributary_dlq_*` headers.
    public func record() -> WireRecord {
        var h = original.headers
        h.append(WireHeader(Self.headerPrefix + "v", String(Self.wireVersion)))
        h.append(WireHeader(Self.headerPrefix + "reason", reason))
        if let jobId { h.append(WireHeader(Self.headerPrefix + "job_id", jobId)) }
        if let runId { h.append(WireHeader(Self.headerPrefix + "run_id", runId)) }
        h.append(WireHeader(Self.headerPrefix + "attempts", String(attempts)))
        h.append(WireHeader(Self.headerPrefix + "failed_at", RFC3339.string(from: failedAt)))
        return WireRecord(key: original.key, value: original.value, headers: h)
    }

    /// Reads a `<p>.dlq` record.
    public init(record: WireRecord) throws(WireFormatError) {
        var original = [WireHeader]()
        var dlq = [String: String]()
        for h in record.headers {
            if h.name.hasPrefix(Self.headerPrefix) {
                dlq[String(h.name.dropFirst(Self.headerPrefix.count))] = String(decoding: h.value, as: UTF8.self)
            } else {
                original.append(h)
            }
        }
        guard let v = dlq["v"] else { throw WireFormatError("not a dead letter: no \(Self.headerPrefix)v header") }
        guard v == "1" else { throw WireFormatError("unsupported dead letter version \(v)") }
        guard let reason = dlq["reason"] else { throw WireFormatError("dead letter without \(Self.headerPrefix)reason") }
        guard let at = dlq["failed_at"].flatMap(RFC3339.date(from:)) else {
            throw WireFormatError("dead letter without a valid \(Self.headerPrefix)failed_at")
        }
        self.init(
            original: WireRecord(key: record.key, value: record.value, headers: original), reason: reason,
            jobId: dlq["job_id"], runId: dlq["run_id"], attempts: dlq["attempts"].flatMap { Int($0) } ?? 0, failedAt: at)
    }
}
