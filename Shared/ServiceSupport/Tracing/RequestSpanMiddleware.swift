import HTTPTypes
import Hummingbird
import Instrumentation
import ServiceContextModule
import Tracing

/// A server span per HTTP request, as the OpenTelemetry HTTP conventions name it: `<method> <route>`
/// with `http.request.method`, `url.path`, `http.route`, `http.response.status_code`,
/// `user_agent.original` and `http.request.body.size`; its parent is the request's `traceparent`, if
/// any; a 5xx answer or a thrown error marks it failed.
///
/// The span ends when the handler has answered, before the response is written, so the response
/// keeps its body as it is (Hummingbird's `TracingMiddleware` wraps the body to end the span after
/// the write, which makes a one-buffer response three writes and costs a fifth of the receiver's
/// throughput).
public struct RequestSpanMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The process's tracer, read once (`InstrumentationSystem.tracer` takes a lock on each read).
    private let tracer: any Tracer

    /// A middleware for the routes added after it, with the tracer installed now.
    public init() {
        tracer = InstrumentationSystem.tracer
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var parent = ServiceContext.current ?? .topLevel
        tracer.extract(request.headers, into: &parent, using: RequestHeaderExtractor())
        let span = tracer.startSpan(request.method.rawValue, context: parent, ofKind: .server)
        defer { span.end() }
        do {
            let response = try await ServiceContext.$current.withValue(span.context) { try await next(request, context) }
            record(span, request: request, route: context.endpointPath, status: Int(response.status.code))
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(span, request: request, route: context.endpointPath, status: status)
            span.recordError(error)
            throw error
        }
    }

    private func record(_ span: any Span, request: Request, route: String?, status: Int) {
        guard span.isRecording else { return }
        if let route { span.operationName = "\(request.method.rawValue) \(route)" }
        // A list, not `SpanAttributes`: no hashing and no dictionary on every request.
        var attributes: [OTLPAttribute] = []
        attributes.reserveCapacity(6)
        attributes.append(OTLPAttribute("http.request.method", .string(request.method.rawValue)))
        attributes.append(OTLPAttribute("url.path", .string(request.uri.path)))
        if let route { attributes.append(OTLPAttribute("http.route", .string(route))) }
        attributes.append(OTLPAttribute("http.response.status_code", .int64(Int64(status))))
        var agent: String?
        var length: Int64?
        for field in request.headers {  // one pass for both (the subscript is a generic join per name)
            if field.name == .userAgent, agent == nil { agent = field.value }
            if field.name == .contentLength, length == nil { length = Int64(field.value) }
        }
        if let agent { attributes.append(OTLPAttribute("user_agent.original", .string(agent))) }
        if let length { attributes.append(OTLPAttribute("http.request.body.size", .int64(length))) }
        span.append(attributes)
        if status >= 500 { span.setStatus(SpanStatus(code: .error)) }
    }
}

/// Reads trace headers from an HTTP request's fields.
struct RequestHeaderExtractor: Extractor {
    func extract(key: String, from carrier: HTTPFields) -> String? {
        switch key {
        case "traceparent": carrier.first(.traceparent)
        case "tracestate": carrier[.tracestate]  // several are one list
        default: HTTPField.Name(key).flatMap { carrier.first($0) }
        }
    }
}
