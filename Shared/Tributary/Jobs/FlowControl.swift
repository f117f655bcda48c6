import Foundation

/// Flow control of a job, per key, held across every runner (Inngest's concurrency, rate limit,
/// throttle, debounce, batching and idempotency): a runner routes the job's events by their key
/// through `<p>.flow`, so that one runner owns each key at a time and applies the limits there.
///
/// ```swift
/// flow: FlowControl(key: .payload("customerId"), concurrency: 1, rateLimit: .init(10, per: .seconds(60)))
/// ```
public struct FlowControl: Sendable {
    /// At most `count` per `period`.
    public struct Limit: Sendable, Hashable {
        /// How many.
        public var count: Int
        /// Per how long.
        public var period: Duration
        /// At most `count` per `period`.
        public init(_ count: Int, per period: Duration) {
            self.count = count; self.period = period
        }
    }

    /// One run per key once its events stop for `period` (with the last event), but no later than
    /// `maxDelay` after the first event held.
    public struct Debounce: Sendable, Hashable {
        /// How long the key's events must stop.
        public var period: Duration
        /// The longest a held event waits.
        public var maxDelay: Duration?
        /// A debounce of `period`, bounded by `maxDelay`.
        public init(_ period: Duration, maxDelay: Duration? = nil) {
            self.period = period; self.maxDelay = maxDelay
        }
    }

    /// Runs take up to `maxSize` events of a key, or what arrived within `within` of the first.
    public struct Batch: Sendable, Hashable {
        /// The most events in one run.
        public var maxSize: Int
        /// How long the first event of a batch waits for more.
        public var within: Duration
        /// Batches of at most `maxSize` events, collected for at most `within`.
        public init(maxSize: Int, within: Duration) {
            self.maxSize = maxSize; self.within = within
        }
    }

    /// A second event with the same `key` within `window` runs nothing (recorded as a duplicate).
    public struct Idempotency: Sendable {
        /// The idempotency key of an event (e.g. an order id).
        public var key: FlowKey
        /// How long a key counts.
        public var window: Duration
        /// Idempotency by `key` within `window`.
        public init(key: FlowKey, window: Duration) {
            self.key = key; self.window = window
        }
    }

    /// The key the limits hold per (nil: one key for the whole job).
    public var key: FlowKey?
    /// At most this many runs of a key at once; the others wait in order, holding no partition.
    public var concurrency: Int?
    /// At most this many runs of a key start per period; events over it are skipped (no run).
    public var rateLimit: Limit?
    /// At most this many runs of a key start per period; events over it are delayed, not dropped.
    public var throttle: Limit?
    /// One run per key after the key's events stop.
    public var debounce: Debounce?
    /// Runs take several events of a key (a ``BatchJob``'s body gets them as an array).
    public var batch: Batch?
    /// Duplicate events (by an idempotency key) within a window run nothing.
    public var idempotency: Idempotency?

    /// Flow control per `key`.
    public init(
        key: FlowKey? = nil, concurrency: Int? = nil, rateLimit: Limit? = nil, throttle: Limit? = nil,
        debounce: Debounce? = nil, batch: Batch? = nil, idempotency: Idempotency? = nil
    ) {
        self.key = key; self.concurrency = concurrency; self.rateLimit = rateLimit; self.throttle = throttle
        self.debounce = debounce; self.batch = batch; self.idempotency = idempotency
    }

    /// The key of an event under this flow control ("" when the limits hold per job; nil when the
    /// key expression finds nothing, which also counts as the key "").
    public func key(of event: EventRecord) -> String { key?.extract(event) ?? "" }

    /// What the flow control says, for `tributary jobs` and records: e.g. `key payload.customerId, concurrency 1`.
    public var summary: String {
        var parts: [String] = []
        if let key { parts.append("key \(key.description)") }
        if let concurrency { parts.append("concurrency \(concurrency)") }
        if let rateLimit { parts.append("rate limit \(rateLimit.count)/\(rateLimit.period)") }
        if let throttle { parts.append("throttle \(throttle.count)/\(throttle.period)") }
        if let debounce { parts.append("debounce \(debounce.period)" + (debounce.maxDelay.map { " (max \($0))" } ?? "")) }
        if let batch { parts.append("batch \(batch.maxSize) within \(batch.within)") }
        if let idempotency { parts.append("idempotency \(idempotency.key.description) for \(idempotency.window)") }
        return parts.joined(separator: ", ")
    }
}

/// A key taken from an event: a path into its payload or context, or a closure.
public struct FlowKey: Sendable, CustomStringConvertible {
    /// Reads the key of an event (nil: none).
    public let extract: @Sendable (EventRecord) -> String?
    /// How the key is read, e.g. `payload.customerId`.
    public let description: String

    /// A key computed by `extract`, described as `description`.
    public init(_ description: String, _ extract: @escaping @Sendable (EventRecord) -> String?) {
        self.description = description
        self.extract = extract
    }

    /// The value at `path` (dot-separated keys) in the payload, as text.
    public static func payload(_ path: String) -> FlowKey {
        FlowKey("payload.\(path)") { text(at: path, in: $0.payload) }
    }

    /// The value at `path` in the event's context, as text.
    public static func context(_ path: String) -> FlowKey {
        FlowKey("context.\(path)") { text(at: path, in: $0.context) }
    }

    private static func text(at path: String, in json: JSON) -> String? {
        var value: JSON? = json
        for part in path.split(separator: ".") { value = value?[String(part)] }
        switch value {
        case .string(let s)?: return s
        case .number(let n)?: return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .bool(let b)?: return String(b)
        case nil, .null?: return nil
        case let other?: return String(decoding: other.encoded(), as: UTF8.self)
        }
    }
}
