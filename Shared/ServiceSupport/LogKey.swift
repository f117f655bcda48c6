/// The structured-log metadata keys every service uses, in one place.
public enum LogKey {
    public static let sourceKey = "source.key"
    public static let sourceId = "source.id"
    public static let eventId = "event.id"
    public static let eventName = "event.name"
    public static let eventKey = "event.key"
    public static let jobId = "job.id"
    public static let runId = "run.id"
    public static let attempt = "run.attempt"
    public static let outcome = "outcome"
    public static let error = "error"
    public static let topic = "kafka.topic"
    public static let partition = "kafka.partition"
    public static let offset = "kafka.offset"
    public static let traceparent = "traceparent"
    public static let status = "http.status"
    /// The trace id of the task's current span (tracing on), added by ``ServiceTracing/logMetadataProvider``.
    public static let traceId = "trace_id"
    /// The span id of the task's current span (tracing on).
    public static let spanId = "span_id"
    /// The W3C trace flags of the task's current span (tracing on).
    public static let traceFlags = "trace_flags"
}
