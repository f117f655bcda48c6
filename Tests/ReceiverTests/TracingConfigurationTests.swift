import ServiceSupport
import Testing
import Tributary

@Suite("OTEL_* variables")
struct TracingConfigurationTests {
    @Test("tracing is on only with an endpoint, and off again with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none")
    func onlyWithAnEndpoint() throws {
        let none = try ServiceTracing.fromEnvironment(ServiceEnvironment([:]), service: "receiver")
        #expect(!none.enabled)
        #expect(none.serviceName == "tributary-receiver")
        let on = try ServiceTracing.fromEnvironment(
            ServiceEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SERVICE_NAME": "edge"]), service: "receiver")
        #expect(on.enabled && on.serviceName == "edge")
        let tracesOnly = try ServiceTracing.fromEnvironment(
            ServiceEnvironment(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector/v1/traces"]), service: "runner")
        #expect(tracesOnly.enabled && tracesOnly.serviceName == "tributary-runner")
        let disabled = try ServiceTracing.fromEnvironment(
            ServiceEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"]), service: "runner")
        #expect(!disabled.enabled)
        let noExporter = try ServiceTracing.fromEnvironment(
            ServiceEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "none"]), service: "runner")
        #expect(!noExporter.enabled)
        #expect(try none.bootstrap(logger: TestLogging.logger("tracing-test")).isEmpty, "off: no exporting service")
    }

    @Test(
        "a bad OTEL_* value is refused naming the variable",
        arguments: [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318", "is not an http(s) URL"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "gRPC is not built in"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "thrift", "is not one of http/protobuf, http/json"),
            ("OTEL_TRACES_EXPORTER", "zipkin", "is not one of otlp, none"),
            ("OTEL_TRACES_SAMPLER", "sometimes", "is not one of always_on"),
        ])
    func badValues(variable: String, value: String, message: String) {
        let environment = ServiceEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"].merging([variable: value]) { $1 })
        #expect {
            try ServiceTracing.fromEnvironment(environment, service: "receiver")
        } throws: { error in
            (error as? ConfigurationError)?.variable == variable && "\(error)".contains("\(variable)=\(value)")
                && "\(error)".contains(message)
        }
    }
}
