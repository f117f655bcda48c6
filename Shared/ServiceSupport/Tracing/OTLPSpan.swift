import ServiceContextModule
import Synchronization
import Tracing

/// A span of ``OTLPTracer``: recording (sampled) spans keep their attributes, events, links and
/// status under a lock and, when ended, queue one ``RecordedSpan`` for export; a span not sampled
/// only carries its context (so its children and the Kafka headers still propagate the trace).
///
/// Attributes set once per span on a hot path (the receiver's request and publish spans) go in as
/// a list with ``append(_:)``, which costs no hashing and no dictionary; `attributes` holds the rest.
public final class OTLPSpan: Span {
    /// The context the span was started in (its parent's).
    private let parentContext: ServiceContext
    /// Whether the span records (it is sampled and not ended yet is ``isRecording``).
    private let records: Bool
    /// This span's identity (what its children and the Kafka headers carry).
    public let spanContext: SpanContext
    private let parent: SpanContext?
    private let kind: SpanKind
    private let startNanoseconds: UInt64
    private let queue: SpanQueue?
    private let state: Mutex<State>

    private struct State {
        /// ``context``, made on its first read (a span whose context nobody reads costs no copy of its parent's).
        var context: ServiceContext?
        var operationName: String
        var attributes: SpanAttributes
        /// Attributes appended with ``append(_:)``, in order (a key `attributes` also has is overridden there).
        var list: [OTLPAttribute] = []
        var events: [SpanEvent] = []
        var links: [SpanLink] = []
        var status: SpanStatus?
        var ended = false
    }

    init(
        operationName: String, kind: SpanKind, context: ServiceContext, spanContext: SpanContext, parent: SpanContext?,
        startNanoseconds: UInt64, queue: SpanQueue?
    ) {
        self.parentContext = context
        self.records = queue != nil
        self.spanContext = spanContext
        self.parent = parent
        self.kind = kind
        self.startNanoseconds = startNanoseconds
        self.queue = queue
        self.state = Mutex(State(operationName: operationName, attributes: [:]))
    }

    /// The service context of this span: the parent's, with this span's ``SpanContext``.
    public var context: ServiceContext {
        state.withLock { state in
            if let context = state.context { return context }
            var context = parentContext
            context.spanContext = spanContext
            state.context = context
            return context
        }
    }

    /// The span's name.
    public var operationName: String {
        get { state.withLock { $0.operationName } }
        set {
            guard records else { return }
            state.withLock { $0.operationName = newValue }
        }
    }

    /// The span's attributes (those appended with ``append(_:)`` too); setting them replaces all.
    public var attributes: SpanAttributes {
        get {
            state.withLock { state in
                var all = state.attributes
                for attribute in state.list where all.get(attribute.key) == nil {
                    all.set(attribute.key, value: attribute.value.spanAttribute)
                }
                return all
            }
        }
        set {
            guard records else { return }
            state.withLock { state in
                state.attributes = newValue
                state.list = []
            }
        }
    }

    /// Adds attributes whose keys the span does not have yet, in order, without hashing them (the
    /// request and publish spans of every webhook).
    public func append(_ attributes: [OTLPAttribute]) {
        guard records else { return }
        state.withLock { state in
            if state.list.isEmpty {
                state.list = attributes
            } else {
                state.list.append(contentsOf: attributes)
            }
        }
    }

    /// Adds `attributes` in place (``Span/updateAttributes(_:)`` copies the whole set twice).
    public func merge(_ attributes: SpanAttributes) {
        guard records else { return }
        state.withLock { state in
            if state.attributes.isEmpty {
                state.attributes = attributes
            } else {
                state.attributes.merge(attributes)
            }
        }
    }

    /// Whether the span is sampled and not ended yet.
    public var isRecording: Bool { records && !state.withLock { $0.ended } }

    /// Sets the status as the specification says: `ok` is final, `error` replaces unset.
    public func setStatus(_ status: SpanStatus) {
        guard records else { return }
        state.withLock { state in
            if state.status?.code == .ok { return }
            state.status = status
        }
    }

    /// Adds a timed event.
    public func addEvent(_ event: SpanEvent) {
        guard records else { return }
        state.withLock { $0.events.append(event) }
    }

    /// Records `error` as an `exception` event (`exception.type`, `exception.message`).
    public func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant)
    {
        guard records else { return }
        var eventAttributes = attributes
        eventAttributes["exception.type"] = String(describing: type(of: error))
        eventAttributes["exception.message"] = String(describing: error)
        addEvent(SpanEvent(name: "exception", at: instant(), attributes: eventAttributes))
    }

    /// Links another span.
    public func addLink(_ link: SpanLink) {
        guard records else { return }
        state.withLock { $0.links.append(link) }
    }

    /// Ends the span (once; a later call does nothing) and queues it for export.
    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        guard records, let queue else { return }
        let endNanoseconds = instant().nanosecondsSinceEpoch
        let recorded: RecordedSpan? = state.withLock { state in
            guard !state.ended else { return nil }
            state.ended = true
            return RecordedSpan(
                context: spanContext, parent: parent, name: state.operationName, kind: kind, startNanoseconds: startNanoseconds,
                endNanoseconds: endNanoseconds, attributes: state.attributes, list: state.list, events: state.events, links: state.links,
                status: state.status)
        }
        if let recorded { queue.append(recorded) }
    }
}

/// An ended span as it is exported.
struct RecordedSpan: Sendable {
    var context: SpanContext
    var parent: SpanContext?
    var name: String
    var kind: SpanKind
    var startNanoseconds: UInt64
    var endNanoseconds: UInt64
    var attributes: SpanAttributes
    /// Attributes appended as a list (a key `attributes` also has is overridden there).
    var list: [OTLPAttribute] = []
    var events: [SpanEvent]
    var links: [SpanLink]
    var status: SpanStatus?

    /// Each attribute of the list once (but those `attributes` overrides), in order.
    func forEachListed(_ body: (String, OTLPAttribute.Value) -> Void) {
        list.withUnsafeBufferPointer { listed in
            for index in listed.indices where attributes.isEmpty || attributes.get(listed[index].key) == nil {
                body(listed[index].key, listed[index].value)
            }
        }
    }
}

/// One span attribute as a key and a value, for ``OTLPSpan/append(_:)``: the OTLP scalar kinds only,
/// so that copying and encoding one costs less than a `SpanAttribute` with its existential cases.
public struct OTLPAttribute: Sendable {
    /// An attribute's value.
    public enum Value: Sendable, Equatable {
        case string(String)
        case int64(Int64)
        case double(Double)
        case bool(Bool)

        /// The same value as swift-distributed-tracing's type.
        var spanAttribute: SpanAttribute {
            switch self {
            case .string(let text): .string(text)
            case .int64(let number): .int64(number)
            case .double(let number): .double(number)
            case .bool(let flag): .bool(flag)
            }
        }
    }

    /// The attribute's name (an OpenTelemetry semantic-conventions key, or Tributary's own).
    public var key: String
    /// Its value.
    public var value: Value

    /// An attribute `key` with `value`.
    public init(_ key: String, _ value: Value) {
        self.key = key
        self.value = value
    }
}

extension Span {
    /// Adds `attributes` to the span: as a list on an ``OTLPSpan`` (no hashing, no dictionary),
    /// through `updateAttributes` on any other span.
    public func append(_ attributes: [OTLPAttribute]) {
        if let span = self as? OTLPSpan {
            span.append(attributes)
        } else {
            updateAttributes { all in
                for attribute in attributes { all.set(attribute.key, value: attribute.value.spanAttribute) }
            }
        }
    }
}
