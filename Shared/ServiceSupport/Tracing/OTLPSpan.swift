import ServiceContextModule
import Synchronization
import Tracing

/// A span of ``OTLPTracer``: recording (sampled) spans keep their attributes, events, links and
/// status under a lock and, when ended, queue one ``RecordedSpan`` for export; a span not sampled
/// only carries its context (so its children and the Kafka headers still propagate the trace).
public final class OTLPSpan: Span {
    /// The service context of this span: the parent's, with this span's ``SpanContext``.
    public let context: ServiceContext
    /// Whether the span records (it is sampled and not ended yet is ``isRecording``).
    private let records: Bool
    private let spanContext: SpanContext
    private let parent: SpanContext?
    private let kind: SpanKind
    private let startNanoseconds: UInt64
    private let queue: SpanQueue?
    private let state: Mutex<State>

    private struct State {
        var operationName: String
        var attributes: SpanAttributes
        var events: [SpanEvent] = []
        var links: [SpanLink] = []
        var status: SpanStatus?
        var ended = false
    }

    init(
        operationName: String, kind: SpanKind, context: ServiceContext, spanContext: SpanContext, parent: SpanContext?,
        startNanoseconds: UInt64, queue: SpanQueue?
    ) {
        var context = context
        context.spanContext = spanContext
        self.context = context
        self.records = queue != nil
        self.spanContext = spanContext
        self.parent = parent
        self.kind = kind
        self.startNanoseconds = startNanoseconds
        self.queue = queue
        self.state = Mutex(State(operationName: operationName, attributes: [:]))
    }

    /// The span's name.
    public var operationName: String {
        get { state.withLock { $0.operationName } }
        set {
            guard records else { return }
            state.withLock { $0.operationName = newValue }
        }
    }

    /// The span's attributes.
    public var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set {
            guard records else { return }
            state.withLock { $0.attributes = newValue }
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
                endNanoseconds: endNanoseconds, attributes: state.attributes, events: state.events, links: state.links,
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
    var events: [SpanEvent]
    var links: [SpanLink]
    var status: SpanStatus?
}
