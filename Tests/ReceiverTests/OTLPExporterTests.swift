import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing
import Tracing

@testable import ServiceSupport

/// The exporter against a live collector stand-in on loopback: what it sends, a refused batch
/// tried again, and what is queued at shutdown.
@Suite("OTLP exporter: requests, retries and the shutdown flush", .serialized)
struct OTLPExporterTests {
    /// What the stand-in collector saw.
    final class Seen: Sendable {
        struct Request: Sendable {
            var contentType: String?
            var team: String?
            var bytes: Int
        }
        let requests = Mutex<[Request]>([])
        /// Statuses to answer, first to last; then 200.
        let statuses: Mutex<[Int]>
        init(statuses: [Int]) { self.statuses = Mutex(statuses) }
        var all: [Request] { requests.withLock { $0 } }
    }

    static func collector(_ seen: Seen) -> some ApplicationProtocol {
        let router = Router()
        router.post("/v1/traces") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 24)
            seen.requests.withLock {
                $0.append(
                    .init(
                        contentType: request.headers[.contentType], team: request.headers[HTTPField.Name("x-team")!],
                        bytes: body.readableBytes))
            }
            let status = seen.statuses.withLock { $0.isEmpty ? 200 : $0.removeFirst() }
            return HTTPResponse.Status(code: status)
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// Runs an exporter to `url` until `body` returns, then shuts it down gracefully.
    static func withExporter(
        url: String, settings: [String: String] = [:], _ body: @Sendable (OTLPTracer) async throws -> Void
    ) async throws {
        var environment = ["OTEL_EXPORTER_OTLP_ENDPOINT": url, "OTEL_EXPORTER_OTLP_HEADERS": "x-team=core"]
        environment.merge(settings) { $1 }
        let configuration = try #require(try ServiceTracing.fromEnvironment(ServiceEnvironment(environment), service: "test").exporter)
        let (tracer, service) = ServiceTracing(enabled: true, serviceName: "test", exporter: configuration)
            .makeTracer(configuration, logger: TestLogging.logger("otlp-exporter-test"))
        let group = ServiceGroup(services: [service], logger: TestLogging.logger("otlp-exporter-group"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await body(tracer)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    static func endSpans(_ tracer: OTLPTracer, _ count: Int) {
        for index in 0..<count {
            tracer.startSpan(
                "span \(index)", context: .topLevel, ofKind: .internal, at: DefaultTracerClock.now, function: "", file: "", line: 0
            )
            .end()
        }
    }

    @Test("a batch is POSTed as protobuf with the configured headers; a 503 is tried again, once")
    func batchesAndRetry() async throws {
        let seen = Seen(statuses: [503])
        try await Self.collector(seen).test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))"
            try await Self.withExporter(url: url, settings: ["OTEL_BSP_SCHEDULE_DELAY": "50"]) { tracer in
                Self.endSpans(tracer, 3)
                try await eventually("the refused batch was sent again", timeout: .seconds(20)) { seen.all.count >= 2 }
            }
        }
        let requests = seen.all
        #expect(requests.count == 2, "one refused, one accepted: \(requests.count)")
        #expect(requests.allSatisfy { $0.contentType == "application/x-protobuf" && $0.team == "core" && $0.bytes > 100 })
        #expect(requests[0].bytes == requests[1].bytes, "the same batch")
    }

    @Test("a 400 is not tried again; OTLP/JSON is sent as application/json")
    func refusedAndJSON() async throws {
        let seen = Seen(statuses: [400])
        try await Self.collector(seen).test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))"
            try await Self.withExporter(url: url, settings: ["OTEL_BSP_SCHEDULE_DELAY": "50", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"]) {
                tracer in
                Self.endSpans(tracer, 2)
                try await eventually("the batch was refused") { seen.all.count >= 1 }
                Self.endSpans(tracer, 1)
                try await eventually("the next batch was accepted") { seen.all.count >= 2 }
            }
        }
        let requests = seen.all
        #expect(requests.count == 2 && requests.allSatisfy { $0.contentType == "application/json" })
        #expect(requests[0].bytes > requests[1].bytes, "the refused batch (2 spans) was not sent again with the next (1 span)")
    }

    @Test("a full batch (OTEL_BSP_MAX_EXPORT_BATCH_SIZE) is exported at once; what is queued at shutdown before the exporter stops")
    func shutdownFlush() async throws {
        let seen = Seen(statuses: [])
        try await Self.collector(seen).test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))"
            try await Self.withExporter(
                url: url, settings: ["OTEL_BSP_SCHEDULE_DELAY": "3600000", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "1000"]
            ) { tracer in
                Self.endSpans(tracer, 1000)
                // A full batch goes at once, long before the schedule (an hour); what follows waits for shutdown.
                try await eventually("the full batch went out before the schedule") { seen.all.count == 1 }
                Self.endSpans(tracer, 10)
            }
            let requests = seen.all
            #expect(requests.count == 2, "the rest went out at shutdown: \(requests.count) requests")
            #expect(requests.count == 2 && requests[0].bytes > 50 * requests[1].bytes, "1,000 spans, then 10")
        }
    }

    @Test("cancelled (its service group failed), the exporter stops at once", .timeLimit(.minutes(1)))
    func cancellation() async throws {
        let environment = ServiceEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_BSP_SCHEDULE_DELAY": "3600000"])
        let configuration = try #require(try ServiceTracing.fromEnvironment(environment, service: "test").exporter)
        let (_, service) = ServiceTracing(enabled: true, serviceName: "test", exporter: configuration)
            .makeTracer(configuration, logger: TestLogging.logger("otlp-exporter-cancel"))
        let running = Task { try await service.run() }
        // Cancelled while it waits for its hour-long schedule: it returns (the time limit fails a hang).
        running.cancel()
        try await running.value
    }
}
