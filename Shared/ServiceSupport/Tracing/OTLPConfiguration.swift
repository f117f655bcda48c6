import Foundation
import Tributary

/// Where and how traces are exported, read from the OpenTelemetry SDK's standard variables.
struct OTLPConfiguration: Sendable {
    /// The traces URL: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as is, or `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// with `/v1/traces` appended.
    var url: String
    /// `http/json` rather than `http/protobuf` (`OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL`).
    var json: Bool
    /// Extra request headers (`OTEL_EXPORTER_OTLP_[TRACES_]HEADERS`, `name=value` pairs, comma-separated, percent-encoded).
    var headers: [(String, String)]
    /// A request's time limit in milliseconds (`OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT`, default 10,000;
    /// `OTEL_BSP_EXPORT_TIMEOUT` when that is shorter).
    var timeoutMilliseconds: Int
    /// The longest a span waits in the queue (`OTEL_BSP_SCHEDULE_DELAY`, milliseconds, default 5,000).
    var scheduleDelay: Duration
    /// `OTEL_BSP_MAX_QUEUE_SIZE` (default 2,048) and `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` (default 512).
    var maxQueueSize: Int
    var maxExportBatchSize: Int
    /// `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` (default `parentbased_always_on`).
    var sampler: TraceSampler
    /// The resource: `service.name`, the SDK's attributes and `OTEL_RESOURCE_ATTRIBUTES`.
    var resource: [(key: String, value: String)]

    /// Reads the variables; `endpoint` is the one found (traces-specific first).
    static func read(
        _ environment: ServiceEnvironment, serviceName: String, endpoint: String
    ) throws(ConfigurationError) -> OTLPConfiguration {
        let specific = environment.string("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != nil
        var url = endpoint
        if !specific {
            if url.hasSuffix("/") { url.removeLast() }
            url += "/v1/traces"
        }
        let json =
            (environment.string("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ?? environment.string("OTEL_EXPORTER_OTLP_PROTOCOL")) == "http/json"
        let headersName =
            environment.string("OTEL_EXPORTER_OTLP_TRACES_HEADERS") != nil
            ? "OTEL_EXPORTER_OTLP_TRACES_HEADERS" : "OTEL_EXPORTER_OTLP_HEADERS"
        let headers = try pairs(environment.string(headersName), variable: headersName)
        for name in ["OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION"] {
            if let value = environment.string(name), value != "none" {
                throw ConfigurationError("\(name)=\(value) is not supported (only none)", variable: name)
            }
        }
        let timeoutName =
            environment.string("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") != nil
            ? "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT" : "OTEL_EXPORTER_OTLP_TIMEOUT"
        let timeout = try environment.int(timeoutName, default: 10_000, range: 1...3_600_000)
        let exportTimeout = try environment.int("OTEL_BSP_EXPORT_TIMEOUT", default: 30_000, range: 1...3_600_000)
        let delay = try environment.int("OTEL_BSP_SCHEDULE_DELAY", default: 5_000, range: 1...3_600_000)
        let queueSize = try environment.int("OTEL_BSP_MAX_QUEUE_SIZE", default: 2_048, range: 1...1_000_000)
        let batchSize = try environment.int("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", default: 512, range: 1...queueSize)
        let samplerName = environment.string("OTEL_TRACES_SAMPLER") ?? "parentbased_always_on"
        let argument = environment.string("OTEL_TRACES_SAMPLER_ARG")
        guard let sampler = TraceSampler.named(samplerName, argument: argument) else {
            if TraceSampler.names.contains(samplerName) {
                throw ConfigurationError(
                    "OTEL_TRACES_SAMPLER_ARG=\(argument ?? "") is not a ratio between 0 and 1", variable: "OTEL_TRACES_SAMPLER_ARG")
            }
            throw ConfigurationError(
                "OTEL_TRACES_SAMPLER=\(samplerName) is not one of \(TraceSampler.names.joined(separator: ", "))",
                variable: "OTEL_TRACES_SAMPLER")
        }
        var resource = try pairs(environment.string("OTEL_RESOURCE_ATTRIBUTES"), variable: "OTEL_RESOURCE_ATTRIBUTES")
            .map { (key: $0.0, value: $0.1) }
        resource.removeAll { $0.key == "service.name" }
        resource.insert((key: "service.name", value: serviceName), at: 0)
        for (key, value) in [
            ("telemetry.sdk.name", "tributary"), ("telemetry.sdk.language", "swift"), ("telemetry.sdk.version", ProcessMetrics.version),
            ("process.pid", "\(ProcessInfo.processInfo.processIdentifier)"),
        ] where !resource.contains(where: { $0.key == key }) {
            resource.append((key: key, value: value))
        }
        return OTLPConfiguration(
            url: url, json: json, headers: headers, timeoutMilliseconds: min(timeout, exportTimeout), scheduleDelay: .milliseconds(delay),
            maxQueueSize: queueSize, maxExportBatchSize: batchSize, sampler: sampler, resource: resource)
    }

    /// `key=value` pairs, comma-separated, each side percent-decoded (the W3C Baggage format the
    /// specification uses for headers and resource attributes).
    static func pairs(_ text: String?, variable: String) throws(ConfigurationError) -> [(String, String)] {
        guard let text else { return [] }
        var result: [(String, String)] = []
        for (index, item) in text.split(separator: ",").enumerated() {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2,
                let key = String(parts[0]).trimmingCharacters(in: .whitespaces).removingPercentEncoding, !key.isEmpty,
                let value = String(parts[1]).trimmingCharacters(in: .whitespaces).removingPercentEncoding
            else {
                // Only the position: a header's value may be a credential.
                throw ConfigurationError("\(variable): item \(index + 1) is not a key=value pair", variable: variable)
            }
            result.append((key, value))
        }
        return result
    }
}
