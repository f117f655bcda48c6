import Instrumentation
import ServiceContextModule
import Tracing
import TributaryKafka

/// Trace context across Kafka, as the OpenTelemetry messaging conventions describe it: the producer
/// writes the W3C `traceparent` of its publish span into each record's headers, and a consumer's
/// process span takes it as its parent. The span attribute names the services use are here too.
public enum MessageTracing {
    /// The W3C `traceparent` of `context`'s span (nil when no tracer is installed or no span is current).
    public static func traceparent(of context: ServiceContext) -> String? {
        if let spanContext = context.spanContext { return spanContext.traceparent }  // OTLPTracer's span: no carrier needed
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: DictionaryInjector())
        return carrier["traceparent"]
    }

    /// The W3C `traceparent` of `span` (an ``OTLPSpan``'s read from it, without making its context).
    public static func traceparent(of span: any Span) -> String? {
        if let span = span as? OTLPSpan { return span.spanContext.traceparent }
        return traceparent(of: span.context)
    }

    /// The context carried by a record's headers (`traceparent`, `tracestate`), on top of `base`.
    public static func context(of headers: [KafkaHeader], base: ServiceContext = .topLevel) -> ServiceContext {
        var context = base
        InstrumentationSystem.instrument.extract(headers, into: &context, using: KafkaHeaderExtractor())
        return context
    }

    /// The context of a W3C `traceparent` value (a run record's), on top of `base`.
    public static func context(ofTraceparent traceparent: String, base: ServiceContext = .topLevel) -> ServiceContext {
        var context = base
        InstrumentationSystem.instrument.extract(["traceparent": traceparent], into: &context, using: DictionaryExtractor())
        return context
    }

    /// The messaging attributes of a process span for `message` consumed by `group`.
    public static func processAttributes(of message: KafkaMessage, group: String?) -> SpanAttributes {
        var attributes = SpanAttributes()
        attributes[Attribute.messagingSystem] = "kafka"
        attributes[Attribute.operationType] = "process"
        attributes[Attribute.operationName] = "process"
        attributes[Attribute.destination] = message.topic
        attributes[Attribute.partition] = "\(message.partition)"
        attributes[Attribute.offset] = Int(message.offset)
        if let group { attributes[Attribute.consumerGroup] = group }
        if let key = message.key { attributes[Attribute.messageKey] = String(decoding: key, as: UTF8.self) }
        return attributes
    }

    /// The span attribute names (OpenTelemetry semantic conventions, and Tributary's own under `tributary.`).
    public enum Attribute {
        public static let messagingSystem = "messaging.system"
        public static let operationType = "messaging.operation.type"
        public static let operationName = "messaging.operation.name"
        public static let destination = "messaging.destination.name"
        public static let partition = "messaging.destination.partition.id"
        public static let offset = "messaging.kafka.offset"
        public static let consumerGroup = "messaging.consumer.group.name"
        public static let messageKey = "messaging.kafka.message.key"
        public static let batchCount = "messaging.batch.message_count"
        public static let sourceKey = "tributary.source.key"
        public static let jobId = "tributary.job.id"
        public static let runId = "tributary.run.id"
        public static let attempt = "tributary.run.attempt"
        public static let outcome = "tributary.run.outcome"
        public static let eventName = "tributary.event.name"
        public static let eventKey = "tributary.event.key"
        public static let integration = "tributary.integration"
    }
}

/// Reads trace headers from a Kafka record's headers (the first of each name).
struct KafkaHeaderExtractor: Extractor {
    func extract(key: String, from carrier: [KafkaHeader]) -> String? {
        carrier.first(named: key)?.value.map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Writes trace headers into a dictionary.
struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}

/// Reads trace headers from a dictionary.
struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}
