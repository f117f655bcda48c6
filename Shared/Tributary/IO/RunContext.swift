import Crypto
import Foundation

/// What a running job knows about its run.
public struct RunContext: Sendable, Hashable, Codable {
    /// The run id, deterministic from (event key, job id).
    public var runId: String
    /// The job.
    public var job: JobInfo
    /// The event.
    public var event: EventInfo
    /// The attempt, from 1.
    public var attempt: Int
    /// The external source the event came through, if any.
    public var source: SourceContext?

    /// Creates a context.
    public init(runId: String, job: JobInfo, event: EventInfo, attempt: Int, source: SourceContext? = nil) {
        self.runId = runId; self.job = job; self.event = event; self.attempt = attempt; self.source = source
    }

    /// The context of attempt `attempt` of `job` on `event`.
    public init(job: some JobDefinition, event e: EventRecord, attempt: Int) {
        self.init(
            runId: Self.runId(eventKey: e.key, jobId: job.id),
            job: JobInfo(id: job.id, name: job.name, version: job.version),
            event: EventInfo(id: e.id, name: e.name, source: e.source, timestamp: e.timestamp, context: e.context),
            attempt: attempt,
            source: e.sourceKey.map { SourceContext(key: $0) })
    }

    /// The deterministic run id of a job on an event: `run_` + 32 hex digits of SHA-256(event key, job id).
    public static func runId(eventKey: String, jobId: String) -> String {
        var h = SHA256()
        var (eventKey, jobId) = (eventKey, jobId)
        eventKey.withUTF8 { h.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        withUnsafeBytes(of: UInt8(0)) { h.update(bufferPointer: $0) }
        jobId.withUTF8 { h.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        let digest = h.finalize()
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { out in
            for (index, byte) in "run_".utf8.enumerated() { out[index] = byte }
            var index = 4
            for byte in digest.prefix(16) {
                out[index] = digits.utf8Start[Int(byte >> 4)]
                out[index + 1] = digits.utf8Start[Int(byte & 0xF)]
                index += 2
            }
            return index
        }
    }
}

/// The job part of a run context.
public struct JobInfo: Sendable, Hashable, Codable {
    /// The job id.
    public var id: String
    /// The job name.
    public var name: String
    /// The job version.
    public var version: String
    /// Creates job info.
    public init(id: String, name: String, version: String) { self.id = id; self.name = name; self.version = version }
}

/// The event part of a run context.
public struct EventInfo: Sendable, Hashable, Codable {
    /// The event id.
    public var id: String
    /// The event name.
    public var name: String
    /// The event source.
    public var source: String
    /// When it happened.
    public var timestamp: Date
    /// The event context.
    public var context: JSON
    /// Creates event info.
    public init(id: String, name: String, source: String, timestamp: Date, context: JSON = .object([:])) {
        self.id = id; self.name = name; self.source = source; self.timestamp = timestamp; self.context = context
    }
}

/// The external source part of a run context.
public struct SourceContext: Sendable, Hashable, Codable {
    /// The source key the event came through.
    public var key: String
    /// Metadata about the source, if the runner knows any.
    public var metadata: JSON
    /// Creates a source context.
    public init(key: String, metadata: JSON = .object([:])) { self.key = key; self.metadata = metadata }
}
