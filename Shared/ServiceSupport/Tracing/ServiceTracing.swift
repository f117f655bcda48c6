import Logging
import ServiceContextModule
import ServiceLifecycle
import Tracing
import Tributary

/// Traces of a service process, exported over OTLP/HTTP, configured by the standard `OTEL_*`
/// variables: on only when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is
/// set (and neither `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none`). Off, no tracer is
/// installed: swift-distributed-tracing's no-op tracer stays, nothing is exported and the services
/// skip their spans (``isEnabled``).
///
/// On, ``OTLPTracer`` is installed and its spans are batched and exported by ``OTLPExporter``
/// (`OTEL_BSP_SCHEDULE_DELAY`, `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_EXPORTER_OTLP_TIMEOUT`, …): a slow or
/// dead collector costs the queue's dropped spans, never a webhook's answer. `OTEL_SERVICE_NAME`
/// defaults to `tributary-<service>`; `OTEL_TRACES_SAMPLER` (default `parentbased_always_on`),
/// `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf`, the default, or `http/json`; gRPC is not built
/// in), `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_RESOURCE_ATTRIBUTES` are read as the OpenTelemetry
/// specification says.
public struct ServiceTracing: Sendable {
    /// Whether traces are exported (an endpoint is set).
    public var enabled: Bool
    /// The `service.name` resource attribute (`OTEL_SERVICE_NAME`, default `tributary-<service>`).
    public var serviceName: String
    /// The exporter's settings (nil when off).
    var exporter: OTLPConfiguration?

    /// Reads the `OTEL_*` variables for the service `service` (`receiver`, `registrar`, `runner`).
    public static func fromEnvironment(
        _ environment: ServiceEnvironment = ServiceEnvironment(), service: String
    ) throws(ConfigurationError) -> ServiceTracing {
        let serviceName = environment.string("OTEL_SERVICE_NAME") ?? "tributary-\(service)"
        let endpoint = environment.string("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") ?? environment.string("OTEL_EXPORTER_OTLP_ENDPOINT")
        let disabled = environment.string("OTEL_SDK_DISABLED")?.lowercased() == "true"
        let exporter = environment.string("OTEL_TRACES_EXPORTER")?.lowercased()
        if let exporter, exporter != "otlp", exporter != "none" {
            throw ConfigurationError("OTEL_TRACES_EXPORTER=\(exporter) is not one of otlp, none", variable: "OTEL_TRACES_EXPORTER")
        }
        for name in ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"] {
            guard let value = environment.string(name) else { continue }
            guard value == "http/protobuf" || value == "http/json" else {
                throw ConfigurationError("\(name)=\(value) is not one of http/protobuf, http/json (gRPC is not built in)", variable: name)
            }
        }
        if let endpoint, !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            let name =
                environment.string("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != nil
                ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT"
            throw ConfigurationError("\(name)=\(endpoint) is not an http(s) URL", variable: name)
        }
        let enabled = endpoint != nil && !disabled && exporter != "none"
        let configuration: OTLPConfiguration?
        if let endpoint {
            let read = try OTLPConfiguration.read(environment, serviceName: serviceName, endpoint: endpoint)
            configuration = enabled ? read : nil
        } else {
            configuration = nil
        }
        return ServiceTracing(enabled: enabled, serviceName: serviceName, exporter: configuration)
    }

    /// Installs the OTLP tracer as the process's tracer (once per process) and returns the service that
    /// exports its spans, to run first in the service group (so it shuts down last and flushes what the
    /// others ended). Off: installs nothing and returns no service.
    public func bootstrap(logger: Logger) throws -> [any Service] {
        guard enabled, let exporter else { return [] }
        let (tracer, service) = makeTracer(exporter, logger: logger)
        InstrumentationSystem.bootstrap(tracer)
        logger.info("exporting traces over OTLP/HTTP", metadata: ["service.name": "\(serviceName)", "url": "\(exporter.url)"])
        return [service]
    }

    /// A tracer and its exporting service, not installed (tests).
    func makeTracer(_ exporter: OTLPConfiguration, logger: Logger) -> (OTLPTracer, any Service) {
        let queue = SpanQueue(capacity: exporter.maxQueueSize, batchSize: exporter.maxExportBatchSize)
        let tracer = OTLPTracer(sampler: exporter.sampler, queue: queue)
        let service = OTLPExporter(
            queue: queue, configuration: exporter, encoding: OTLPTraceEncoding(resource: exporter.resource), logger: logger)
        return (tracer, service)
    }

    /// Whether a tracer other than the no-op one is installed: the services start spans only then.
    public static var isEnabled: Bool { !(InstrumentationSystem.tracer is NoOpTracer) }

    /// The installed tracer, nil when it is the no-op one: read once by what starts a span per request
    /// (each read of `InstrumentationSystem.tracer` takes a lock).
    public static var installedTracer: (any Tracer)? {
        let tracer = InstrumentationSystem.tracer
        return tracer is NoOpTracer ? nil : tracer
    }

    /// The metadata provider of log lines: `trace_id`, `span_id` and `trace_flags` of the task's current span.
    public static let logMetadataProvider = Logger.MetadataProvider {
        guard let spanContext = ServiceContext.current?.spanContext else { return [:] }
        return [
            LogKey.traceId: "\(spanContext.traceIdHex)", LogKey.spanId: "\(spanContext.spanIdHex)",
            LogKey.traceFlags: spanContext.isSampled ? "01" : "00",
        ]
    }
}
