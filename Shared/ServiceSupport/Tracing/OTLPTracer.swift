import Instrumentation
import ServiceContextModule
import Tracing

/// The process's tracer when tracing is on: W3C Trace Context propagation (`traceparent`,
/// `tracestate`), head sampling by ``TraceSampler``, and spans queued for ``OTLPExporter``.
///
/// Starting and ending a span takes two short locks and no task switch; the export (encoding, HTTP)
/// happens on the exporter's task, a batch at a time.
public final class OTLPTracer: Tracer {
    /// The span type.
    public typealias Span = OTLPSpan

    private let sampler: TraceSampler
    private let ids = SpanIdGenerator()
    let queue: SpanQueue

    init(sampler: TraceSampler, queue: SpanQueue) {
        self.sampler = sampler
        self.queue = queue
    }

    /// Starts a span: a child of `context`'s span (local or extracted), or the root of a new trace.
    public func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> ServiceContext, ofKind kind: SpanKind, at instant: @autoclosure () -> Instant,
        function: String, file fileID: String, line: UInt
    ) -> OTLPSpan {
        let context = context()
        let parent = context.spanContext
        let spanId = ids.next()
        var spanContext: SpanContext
        if let parent {
            spanContext = SpanContext(
                traceIdHigh: parent.traceIdHigh, traceIdLow: parent.traceIdLow, spanId: spanId, flags: parent.flags & ~1,
                traceState: parent.traceState)
        } else {
            spanContext = SpanContext(traceIdHigh: ids.next(), traceIdLow: ids.next(), spanId: spanId, flags: 0)
        }
        let sampled = sampler.isSampled(parent: parent, traceIdLow: spanContext.traceIdLow)
        if sampled { spanContext.flags |= 1 }
        return OTLPSpan(
            operationName: operationName, kind: kind, context: context, spanContext: spanContext, parent: parent,
            startNanoseconds: instant().nanosecondsSinceEpoch, queue: sampled ? queue : nil)
    }

    /// Asks the exporter to export what is queued now.
    public func forceFlush() { queue.wake() }

    /// Writes `traceparent` (and `tracestate`, when there is one) of `context`'s span.
    public func inject<Carrier, Inject: Injector>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject.Carrier == Carrier {
        guard let spanContext = context.spanContext else { return }
        injector.inject(spanContext.traceparent, forKey: "traceparent", into: &carrier)
        if !spanContext.traceState.isEmpty { injector.inject(spanContext.traceState, forKey: "tracestate", into: &carrier) }
    }

    /// Reads `traceparent` and `tracestate` into `context` (a malformed `traceparent` is ignored).
    public func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract.Carrier == Carrier {
        guard let traceparent = extractor.extract(key: "traceparent", from: carrier) else { return }
        let traceState = extractor.extract(key: "tracestate", from: carrier) ?? ""
        guard let spanContext = SpanContext(traceparent: traceparent, traceState: traceState) else { return }
        context.spanContext = spanContext
    }
}
