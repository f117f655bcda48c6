import Foundation
import HTTPTypes
import ServiceContextModule
import Testing
import Tracing
import Tributary

@testable import ServiceSupport

/// The tracer behind `OTEL_EXPORTER_OTLP_ENDPOINT`, without I/O: W3C propagation, sampling, span
/// state, and the export queue.
@Suite("OTLP tracer: propagation, sampling, spans and the export queue")
struct OTLPTracerTests {
    static func tracer(_ sampler: TraceSampler = .alwaysOn, capacity: Int = 100, batchSize: Int = 10) -> OTLPTracer {
        OTLPTracer(sampler: sampler, queue: SpanQueue(capacity: capacity, batchSize: batchSize))
    }

    @Test("traceparent is read and written as W3C Trace Context says; malformed ones are ignored")
    func traceparent() throws {
        let value = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        let context = try #require(SpanContext(traceparent: value, traceState: "vendor=1"))
        #expect(context.traceIdHex == "0af7651916cd43dd8448eb211c80319c" && context.spanIdHex == "b7ad6b7169203331")
        #expect(context.isSampled && context.isRemote && context.traceState == "vendor=1")
        #expect(context.traceparent == value)
        #expect(SpanContext(traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")?.isSampled == false)
        // A later version may append fields; its first four are read.
        #expect(SpanContext(traceparent: "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra") != nil)
        for malformed in [
            "", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331", "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x",
            "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ] {
            #expect(SpanContext(traceparent: malformed) == nil, "\(malformed)")
        }
        let tracer = Self.tracer()
        var extracted = ServiceContext.topLevel
        tracer.extract(["traceparent": value, "tracestate": "vendor=1"], into: &extracted, using: DictionaryExtractor())
        var carrier: [String: String] = [:]
        tracer.inject(extracted, into: &carrier, using: DictionaryInjector())
        #expect(carrier == ["traceparent": value, "tracestate": "vendor=1"])
        var ignored = ServiceContext.topLevel
        tracer.extract(["traceparent": "garbage"], into: &ignored, using: DictionaryExtractor())
        #expect(ignored.spanContext == nil)
    }

    @Test("a child span keeps its parent's trace, gets its own id, and is queued once when it ends")
    func childSpans() throws {
        let tracer = Self.tracer()
        let root = tracer.startSpan(
            "root", context: .topLevel, ofKind: .server, at: DefaultTracerClock.now, function: "", file: "", line: 0)
        let child = tracer.startSpan(
            "child", context: root.context, ofKind: .producer, at: DefaultTracerClock.now, function: "", file: "", line: 0)
        let rootContext = try #require(root.context.spanContext)
        let childContext = try #require(child.context.spanContext)
        #expect(childContext.traceIdHigh == rootContext.traceIdHigh && childContext.traceIdLow == rootContext.traceIdLow)
        #expect(childContext.spanId != rootContext.spanId && childContext.isSampled)
        child.attributes["messaging.system"] = "kafka"
        child.setStatus(SpanStatus(code: .error, message: "not acknowledged"))
        child.recordError(CancellationError())
        child.end()
        child.end()
        #expect(!child.isRecording)
        child.attributes["late"] = "ignored"
        root.end()
        let (spans, dropped, _) = tracer.queue.take()
        #expect(spans.map(\.name) == ["child", "root"] && dropped == 0)
        let recorded = spans[0]
        #expect(recorded.parent?.spanId == rootContext.spanId && spans[1].parent == nil)
        #expect(recorded.attributes.get("messaging.system") == .string("kafka") && recorded.attributes.get("late") == nil)
        #expect(recorded.status == SpanStatus(code: .error, message: "not acknowledged"))
        #expect(recorded.events.map(\.name) == ["exception"])
        #expect(recorded.endNanoseconds >= recorded.startNanoseconds && recorded.kind == .producer)
    }

    @Test("appended attributes are the span's attributes too; the dictionary's value of a key wins; setting all replaces them")
    func appendedAttributes() {
        let tracer = Self.tracer()
        let span = tracer.startSpan("s", context: .topLevel, ofKind: .server, at: DefaultTracerClock.now, function: "", file: "", line: 0)
        span.append([OTLPAttribute("url.path", .string("/a")), OTLPAttribute("http.response.status_code", .int64(200))])
        span.append([OTLPAttribute("late", .bool(true))])
        span.merge(["url.path": "/b"])
        #expect(span.attributes.get("url.path") == .string("/b") && span.attributes.get("http.response.status_code") == .int64(200))
        #expect(span.attributes.get("late") == .bool(true))
        span.end()
        let recorded = tracer.queue.take().spans[0]
        #expect(recorded.list.map(\.key) == ["url.path", "http.response.status_code", "late"])
        var listed: [String] = []
        recorded.forEachListed { key, _ in listed.append(key) }
        #expect(listed == ["http.response.status_code", "late"], "url.path is the dictionary's")

        let replaced = tracer.startSpan(
            "r", context: .topLevel, ofKind: .server, at: DefaultTracerClock.now, function: "", file: "", line: 0)
        replaced.append([OTLPAttribute("gone", .string("x"))])
        replaced.attributes = ["kept": "y"]
        #expect(replaced.attributes.get("gone") == nil && replaced.attributes.get("kept") == .string("y"))

        let moved = tracer.startSpan("m", context: .topLevel, ofKind: .server, at: DefaultTracerClock.now, function: "", file: "", line: 0)
        moved.append([OTLPAttribute("listed", .string("x"))])
        moved.attributes["added"] = "y"
        moved.end()
        let all = tracer.queue.take().spans[0]
        #expect(all.list.isEmpty && all.attributes.get("listed") == .string("x") && all.attributes.get("added") == .string("y"))

        let unsampled = Self.tracer(.alwaysOff).startSpan(
            "u", context: .topLevel, ofKind: .server, at: DefaultTracerClock.now, function: "", file: "", line: 0)
        unsampled.append([OTLPAttribute("ignored", .int64(1))])
        #expect(unsampled.attributes.get("ignored") == nil)
    }

    @Test("request headers: the first value of a name; traceparent by its static name; several tracestate fields are one list")
    func requestHeaders() throws {
        var fields = HTTPFields()
        fields.append(HTTPField(name: .contentLength, value: "12"))
        fields.append(HTTPField(name: .contentLength, value: "13"))
        fields.append(HTTPField(name: .traceparent, value: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        fields.append(HTTPField(name: .tracestate, value: "a=1"))
        fields.append(HTTPField(name: .tracestate, value: "b=2"))
        #expect(fields.first(.contentLength) == "12" && fields.first(.userAgent) == nil)
        var context = ServiceContext.topLevel
        Self.tracer().extract(fields, into: &context, using: RequestHeaderExtractor())
        let extracted = try #require(context.spanContext)
        #expect(extracted.spanIdHex == "00f067aa0ba902b7" && extracted.traceState == "a=1, b=2" && extracted.isRemote)
    }

    @Test("ok is final; error replaces unset")
    func status() {
        let tracer = Self.tracer()
        let span = tracer.startSpan("s", context: .topLevel, ofKind: .internal, at: DefaultTracerClock.now, function: "", file: "", line: 0)
        span.setStatus(SpanStatus(code: .ok))
        span.setStatus(SpanStatus(code: .error))
        span.end()
        #expect(tracer.queue.take().spans.first?.status?.code == .ok)
    }

    @Test("samplers: always_off records nothing but still propagates; parent-based follows the parent; the ratio is by trace id")
    func sampling() throws {
        let off = Self.tracer(.alwaysOff)
        let span = off.startSpan("s", context: .topLevel, ofKind: .server, at: DefaultTracerClock.now, function: "", file: "", line: 0)
        #expect(!span.isRecording)
        let context = try #require(span.context.spanContext)
        #expect(!context.isSampled)
        span.end()
        #expect(off.queue.count == 0)
        var carrier: [String: String] = [:]
        off.inject(span.context, into: &carrier, using: DictionaryInjector())
        #expect(carrier["traceparent"]?.hasSuffix("-00") == true)

        let parentBased = Self.tracer(.parentBased(root: .alwaysOn))
        var unsampledParent = ServiceContext.topLevel
        unsampledParent.spanContext = SpanContext(traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")
        let child = parentBased.startSpan(
            "c", context: unsampledParent, ofKind: .consumer, at: DefaultTracerClock.now, function: "", file: "", line: 0)
        #expect(!child.isRecording, "an unsampled parent's child is not sampled")
        let root = parentBased.startSpan(
            "r", context: .topLevel, ofKind: .server, at: DefaultTracerClock.now, function: "", file: "", line: 0)
        #expect(root.isRecording, "a root span is decided by always_on")

        let ratio = TraceSampler.traceIdRatio(0.25)
        let kept = (0..<10_000).filter { _ in ratio.isSampled(parent: nil, traceIdLow: UInt64.random(in: .min ... .max)) }.count
        #expect((2_000...3_000).contains(kept), "kept \(kept) of 10,000 at 0.25")
        #expect(ratio.isSampled(parent: nil, traceIdLow: 42) == ratio.isSampled(parent: nil, traceIdLow: 42))
        #expect(TraceSampler.named("traceidratio", argument: "1.5") == nil)
        #expect(TraceSampler.named("parentbased_traceidratio", argument: "0.5") == .parentBased(root: .traceIdRatio(0.5)))
    }

    @Test("a full queue drops new spans and counts them; the exporter is woken only by a whole batch")
    func queue() async throws {
        let queue = SpanQueue(capacity: 3, batchSize: 2)
        let tracer = OTLPTracer(sampler: .alwaysOn, queue: queue)
        for index in 0..<5 {
            tracer.startSpan(
                "s\(index)", context: .topLevel, ofKind: .internal, at: DefaultTracerClock.now, function: "", file: "", line: 0
            )
            .end()
        }
        let first = queue.take()
        #expect(first.spans.map(\.name) == ["s0", "s1", "s2"] && first.dropped == 2, "the oldest kept, the newest dropped")
        let second = queue.take()
        #expect(second.spans.isEmpty && second.dropped == 0)

        // A wait returns when a batch is complete, long before its schedule.
        let started = ContinuousClock.now
        async let waited: Void = queue.waitForBatch(atMost: .seconds(600))
        for index in 0..<2 {
            try await Task.sleep(for: .milliseconds(20))
            tracer.startSpan(
                "b\(index)", context: .topLevel, ofKind: .internal, at: DefaultTracerClock.now, function: "", file: "", line: 0
            )
            .end()
        }
        await waited
        #expect(ContinuousClock.now - started < .seconds(300))
        #expect(queue.take().spans.count == 2)
        // Its schedule ends a wait too; closing ends it at once and drops later spans.
        await queue.waitForBatch(atMost: .milliseconds(10))
        queue.close()
        await queue.waitForBatch(atMost: .seconds(600))
        tracer.startSpan("late", context: .topLevel, ofKind: .internal, at: DefaultTracerClock.now, function: "", file: "", line: 0).end()
        let last = queue.take()
        #expect(last.spans.isEmpty && last.dropped == 1 && last.closed)
    }

    @Test("log lines carry the current span's trace id, span id and flags")
    func logMetadata() throws {
        let tracer = Self.tracer()
        let span = tracer.startSpan("s", context: .topLevel, ofKind: .server, at: DefaultTracerClock.now, function: "", file: "", line: 0)
        let metadata = ServiceContext.$current.withValue(span.context) { ServiceTracing.logMetadataProvider.get() }
        let context = try #require(span.context.spanContext)
        #expect(metadata[LogKey.traceId] == "\(context.traceIdHex)" && metadata[LogKey.spanId] == "\(context.spanIdHex)")
        #expect(metadata[LogKey.traceFlags] == "01")
        #expect(ServiceContext.$current.withValue(nil) { ServiceTracing.logMetadataProvider.get() }.isEmpty)
    }

    @Test("OTEL_* settings: the traces URL, headers, timeouts, batch sizes and resource")
    func configuration() throws {
        let environment = ServiceEnvironment([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/", "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20abc,x-team=core",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "2000", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "64",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
        ])
        let exporter = try #require(try ServiceTracing.fromEnvironment(environment, service: "runner").exporter)
        #expect(exporter.url == "http://collector:4318/v1/traces" && exporter.json)
        #expect(exporter.headers.map { "\($0.0)=\($0.1)" } == ["authorization=Bearer abc", "x-team=core"])
        #expect(exporter.timeoutMilliseconds == 2000 && exporter.maxExportBatchSize == 64 && exporter.maxQueueSize == 2048)
        #expect(exporter.resource.first?.key == "service.name" && exporter.resource.first?.value == "tributary-runner")
        #expect(exporter.resource.contains { $0.key == "deployment.environment" && $0.value == "prod" })
        let specific = try #require(
            try ServiceTracing.fromEnvironment(
                ServiceEnvironment(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://traces.example/custom"]), service: "receiver"
            ).exporter)
        #expect(specific.url == "https://traces.example/custom" && !specific.json)
        for (variable, value, message) in [
            ("OTEL_EXPORTER_OTLP_HEADERS", "authorization", "item 1 is not a key=value pair"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", "only none"), ("OTEL_BSP_SCHEDULE_DELAY", "soon", "not a whole number"),
            ("OTEL_TRACES_SAMPLER_ARG", "2", "not a ratio"),
        ] {
            var values = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", variable: value]
            if variable == "OTEL_TRACES_SAMPLER_ARG" { values["OTEL_TRACES_SAMPLER"] = "traceidratio" }
            #expect {
                try ServiceTracing.fromEnvironment(ServiceEnvironment(values), service: "receiver")
            } throws: { error in
                (error as? ConfigurationError)?.variable == variable && "\(error)".contains(message)
            }
        }
    }
}
