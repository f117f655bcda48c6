import HTTPTypes
import Hummingbird
import TributaryKafka
import Logging
import NIOCore
import ServiceSupport
import Tracing
import Tributary

/// `POST /sources/{sourceKey}`: runs the source's handler on the raw request and answers 2xx only
/// after the broker acknowledged every event it produced.
///
/// Outcomes: unknown key 404; body over the limit 413; bad or missing signature, stale timestamp
/// 401; malformed body 400 (nothing published for any of these); broker down or the publish timeout
/// passed 503 with `Retry-After`; otherwise 200 (or the handler's own response).
struct WebhookResponder: Sendable {
    let directory: SourceDirectory
    let producer: KafkaProducer
    let eventsTopic: String
    let bodyLimit: Int
    /// `RECEIVER_PUBLIC_URL` without a trailing `/`, or nil.
    var publicURL: String? = nil
    let metrics: ReceiverMetrics
    let logger: Logger
    /// Records each request on `<p>.deliveries` (nil: not recorded), after the answer is made and
    /// without waiting for the broker.
    var deliveries: DeliveryRecorder? = nil
    /// The tracer of the publish spans (nil: tracing off), read when the responder is made.
    var tracer: (any Tracer)? = ServiceTracing.installedTracer

    /// The publish span's name, `publish <topic>` (made once, not per request).
    let publishSpanName: String

    /// A responder publishing to `eventsTopic` (the tracer is read now).
    init(
        directory: SourceDirectory, producer: KafkaProducer, eventsTopic: String, bodyLimit: Int, publicURL: String? = nil,
        metrics: ReceiverMetrics, logger: Logger, deliveries: DeliveryRecorder? = nil
    ) {
        self.directory = directory
        self.producer = producer
        self.eventsTopic = eventsTopic
        self.bodyLimit = bodyLimit
        self.publicURL = publicURL
        self.metrics = metrics
        self.logger = logger
        self.deliveries = deliveries
        publishSpanName = "publish \(eventsTopic)"
    }

    /// Seconds a provider should wait before retrying after a 503.
    static let retryAfterSeconds = 5

    func respond(to request: Request, sourceKey: String) async throws -> Response {
        var note = DeliveryNote()
        let response = try await respond(to: request, sourceKey: sourceKey, noting: &note)
        deliveries?.record(note, sourceKey: sourceKey, status: Int(response.status.code))
        return response
    }

    /// The answer to a request, with what the deliveries log should say about it in `note`.
    private func respond(to request: Request, sourceKey: String, noting note: inout DeliveryNote) async throws -> Response {
        var logger = logger
        logger[metadataKey: LogKey.sourceKey] = "\(sourceKey)"
        guard let entry = directory.entry(sourceKey) else {
            metrics.request(source: "unknown", outcome: "unknown_source")
            note.refuse(.unknownSource, "unknown source key \(sourceKey)")
            return Self.error(.notFound, "unknown source key \(sourceKey)")
        }
        guard case .ready(var state, let source) = entry else {
            metrics.request(source: sourceKey, outcome: "unusable_source")
            note.refuse(.unavailable, "source \(sourceKey) cannot be served right now")
            logger.error("webhook for an unusable source; the provider will retry")
            return Self.error(.serviceUnavailable, "source \(sourceKey) cannot be served right now", retryAfter: 30)
        }
        if let length = request.headers.first(.contentLength).flatMap({ Int($0) }), length > bodyLimit {
            metrics.request(source: sourceKey, outcome: "too_large")
            note.refuse(.tooLarge, "body of \(length) bytes is over the \(bodyLimit)-byte limit", size: length)
            return Self.error(.contentTooLarge, "body of \(length) bytes is over the \(bodyLimit)-byte limit")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: bodyLimit)
        } catch {
            metrics.request(source: sourceKey, outcome: "too_large")
            note.refuse(.tooLarge, "body is over the \(bodyLimit)-byte limit")
            return Self.error(.contentTooLarge, "body is over the \(bodyLimit)-byte limit")
        }
        let sourceRequest = SourceRequest(
            method: request.method.rawValue, path: request.uri.path + (request.uri.query.map { "?" + $0 } ?? ""),
            headers: request.headers.map { (name: $0.name.canonicalName, value: $0.value) },
            body: Array(body.readableBytesView),
            url: publicURL.map { $0 + request.uri.path + (request.uri.query.map { "?" + $0 } ?? "") })
        if let kept = directory.metadata(for: sourceKey) { state.metadata = kept }

        let result: HandlerResult
        do {
            result = try await source.handle(sourceRequest, state: state)
        } catch let rejection as SourceRejection {
            let outcome = rejection.reason == .badSignature ? "bad_signature" : "rejected"
            if rejection.reason == .badSignature { metrics.signatureFailure(source: sourceKey) }
            note.refuse(DeliveryNote.outcome(of: rejection), rejection.message, size: body.readableBytes)
            metrics.request(source: sourceKey, outcome: outcome)
            logger.warning("webhook rejected", metadata: [LogKey.outcome: "\(outcome)", LogKey.error: "\(rejection.message)"])
            return Self.error(HTTPResponse.Status(code: rejection.status), rejection.message)
        } catch {
            metrics.request(source: sourceKey, outcome: "handler_error")
            note.refuse(.handlerError, "the source handler failed", size: body.readableBytes)
            logger.error("source handler failed", metadata: [LogKey.error: "\(error)"])
            return Self.error(.internalServerError, "the source handler failed")
        }
        if let kept = result.metadata { directory.keep(metadata: kept, for: sourceKey) }

        if !result.events.isEmpty {
            let span = tracer.map { publishSpan($0, sourceKey: sourceKey, count: result.events.count) }
            defer { span?.end() }
            // The publish span's context when tracing is on; otherwise the request's or a new one.
            let traceparent =
                span.flatMap { MessageTracing.traceparent(of: $0) }
                ?? TraceParent.carryOrStart(request.headers.first(.traceparent))
            let traceHeader = WireHeader("traceparent", traceparent)
            let messages = result.events.map { event in
                var record = CloudEvent.encode(event)
                record.headers.append(traceHeader)
                return KafkaProducerMessage(topic: eventsTopic, record: record)
            }
            let started = ContinuousClock.now
            do {
                _ = try await producer.sendAll(messages)
            } catch {
                span?.recordError(error)
                span?.setStatus(SpanStatus(code: .error, message: "not acknowledged"))
                metrics.request(source: sourceKey, outcome: "unavailable")
                note.refuse(.unavailable, "the events could not be stored; retry later", size: body.readableBytes)
                logger.warning(
                    "events not acknowledged; answering 503 so the provider retries",
                    metadata: [LogKey.error: "\(error)", LogKey.traceparent: "\(traceparent)"])
                return Self.error(
                    .serviceUnavailable, "the events could not be stored; retry later", retryAfter: Self.retryAfterSeconds)
            }
            metrics.publishLatency.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            metrics.eventsPublished.increment(by: Int64(messages.count))
        }
        metrics.request(source: sourceKey, outcome: "accepted")
        note.accept(body: body.readableBytesView, eventIds: result.events.map(\.id))
        if let custom = result.response {
            var headers = HTTPFields()
            for (name, value) in custom.headers.sorted(by: { $0.key < $1.key }) {
                if let field = HTTPField.Name(name) { headers[field] = value }
            }
            return Response(
                status: HTTPResponse.Status(code: custom.status), headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: custom.body)))
        }
        return Self.json(.ok, #"{"received":\#(result.events.count)}"#)
    }

    /// The producer span of publishing a webhook's events (a child of the request's span).
    private func publishSpan(_ tracer: any Tracer, sourceKey: String, count: Int) -> any Span {
        let span = tracer.startSpan(publishSpanName, context: ServiceContext.current ?? .topLevel, ofKind: .producer)
        span.append([
            OTLPAttribute(MessageTracing.Attribute.messagingSystem, .string("kafka")),
            OTLPAttribute(MessageTracing.Attribute.operationType, .string("publish")),
            OTLPAttribute(MessageTracing.Attribute.operationName, .string("publish")),
            OTLPAttribute(MessageTracing.Attribute.destination, .string(eventsTopic)),
            OTLPAttribute(MessageTracing.Attribute.batchCount, .int64(Int64(count))),
            OTLPAttribute(MessageTracing.Attribute.sourceKey, .string(sourceKey)),
        ])
        return span
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, retryAfter: Int? = nil) -> Response {
        var response = json(status, JSON.object(["error": .string(message)]).jsonString)
        if let retryAfter { response.headers[.retryAfter] = "\(retryAfter)" }
        return response
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
    }
}
