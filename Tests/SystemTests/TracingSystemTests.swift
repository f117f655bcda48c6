import Foundation
import ServiceSupport
import Testing
import Tributary
import TributaryIntegrations
import TributaryKafka

/// OpenTelemetry traces across the services, checked against an OTLP/HTTP collector stand-in on
/// loopback (Tests/Interop/otlp_collector.py, decoding with the official opentelemetry-proto).
@Suite("system: traces across receiver, Kafka and runner", .serialized, .tags(.processes, .python), .notInFastRun)
struct TracingSystemTests {
    static let prefix = "trace"

    @Test("one signed webhook is one trace: request, publish, run, attempt and task spans linked; a hung collector delays no webhook")
    func oneWebhookOneTrace() async throws {
        let collector = try Collector()
        let endpoint = try await collector.start()
        let hung = try Collector(["--hang"])
        let hungEndpoint = try await hung.start()
        let tracing = ["OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"]
        let system = try await TracedSystem.start(
            prefix: Self.prefix, name: "traced",
            receiver: tracing.merging(["LOG_FORMAT": "json"]) { $1 }, runner: tracing, registrar: tracing)
        // A second receiver, exporting to a collector that never answers.
        let slowPort = try freePort()
        // The console, traced too.
        let consolePort = try freePort()
        let consoleDatabase = FileManager.default.temporaryDirectory.appendingPathComponent("traced-console-\(UUID().uuidString).sqlite")
            .path
        let console = try ServiceProcess(
            "traced-console", "console",
            environment: system.common.merging(tracing) { $1 }.merging([
                "CONSOLE_HOST": "127.0.0.1", "CONSOLE_PORT": "\(consolePort)", "CONSOLE_PASSWORD": "traced-console-password",
                "CONSOLE_DATABASE": consoleDatabase,
            ]) { $1 })
        let slowReceiver = try ServiceProcess(
            "traced-receiver-hung", "receiver",
            environment: system.common.merging([
                "RECEIVER_HOST": "127.0.0.1", "RECEIVER_PORT": "\(slowPort)",
                "OTEL_EXPORTER_OTLP_ENDPOINT": hungEndpoint, "OTEL_BSP_SCHEDULE_DELAY": "100", "OTEL_EXPORTER_OTLP_TIMEOUT": "30000",
            ]) { $1 })
        defer {
            console.terminate()
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: consoleDatabase + suffix) }
            slowReceiver.terminate()
            system.stop()
            collector.stop()
            hung.stop()
        }

        // The webhook, then its run's record: its traceparent names the trace and the run's span.
        let delivery = SystemTests.priceCreated(id: "evt_trace_1", secret: system.secret)
        try await eventually("the receiver accepts the signed delivery (once it has the source)") {
            try await HTTP.post("\(system.publicURL)/sources/stripe.webhook", body: delivery.body, headers: delivery.headers) == 200
        }
        var traceparent = ""
        try await eventually("evt_trace_1 succeeded with a traceparent", timeout: .seconds(60)) {
            let records = try await SystemTests.runRecords(system.bootstrap, prefix: Self.prefix)
            guard let found = records.last(where: { $0.eventId == "evt_trace_1" && $0.status == .succeeded })?.traceparent else {
                return false
            }
            traceparent = found
            return true
        }
        let parts = traceparent.split(separator: "-").map(String.init)
        try #require(parts.count == 4, "traceparent \(traceparent)")
        let (traceId, runSpanId) = (parts[1], parts[2])

        // Every span of the trace reaches the collector (the batch is exported within ~100 ms).
        var spans: [CollectedSpan] = []
        try await eventually("the trace's spans reached the collector", timeout: .seconds(30)) {
            spans = collector.spans.filter { $0.traceId == traceId }
            return spans.contains { $0.name == "task announce" } && spans.contains { $0.kind == .server }
        }
        let server = spans.filter { $0.kind == .server }
        let publish = spans.filter { $0.kind == .producer }
        let run = spans.filter { $0.kind == .consumer }
        #expect(server.count == 1 && publish.count == 1 && run.count == 1, "spans: \(spans.map(\.name))")
        #expect(server.first?.service == "tributary-receiver")
        #expect(server.first?.parentSpanId == "", "the provider sent no traceparent: the request span is the root")
        #expect(server.first?.attributes["http.response.status_code"] == .number(200))
        #expect(publish.first?.parentSpanId == server.first?.spanId, "publish is a child of the request")
        #expect(publish.first?.name == "publish \(Self.prefix).events")
        #expect(run.first?.service == "tributary-runner")
        #expect(run.first?.spanId == runSpanId, "the run record names its run span")
        #expect(run.first?.parentSpanId == publish.first?.spanId, "the run is a child of the publish, through the Kafka header")
        #expect(run.first?.name == "process \(Self.prefix).events")
        #expect(run.first?.attributes["messaging.system"] == .string("kafka"))
        #expect(run.first?.attributes["messaging.destination.name"] == .string("\(Self.prefix).events"))
        #expect(run.first?.attributes["messaging.destination.partition.id"] != nil)
        #expect(run.first?.attributes["messaging.kafka.offset"] != nil)
        #expect(run.first?.attributes["messaging.consumer.group.name"] == .string("\(Self.prefix)-runners.stripe-on-price"))
        #expect(run.first?.attributes["tributary.job.id"] == .string("stripe-on-price"))
        #expect(run.first?.attributes["tributary.run.outcome"] == .string("succeeded"))
        let attempt = spans.filter { $0.name == "attempt 1" }
        #expect(attempt.count == 1 && attempt.first?.parentSpanId == runSpanId, "the attempt is a child of the run")
        let task = spans.filter { $0.name == "task announce" }
        #expect(task.count == 1 && task.first?.parentSpanId == attempt.first?.spanId, "the task is a child of the attempt")
        #expect(Set(spans.map(\.spanId)).count == spans.count, "span ids are unique")

        // The registrar's registration run and its provider calls are traced too.
        try await eventually("the registrar's registration spans reached the collector", timeout: .seconds(30)) {
            let registrar = collector.spans.filter { $0.service == "tributary-registrar" }
            return registrar.contains { $0.name == "register stripe.webhook" }
                && registrar.contains { $0.kind == .client && $0.attributes["tributary.integration"] == .string("stripe") }
        }

        // The console's page requests are server spans of its own service (its admin endpoints are not traced).
        try await eventually("the console answers its login page", timeout: .seconds(60)) {
            _ = try? await HTTP.get("http://127.0.0.1:\(consolePort)/readyz")
            return (try? await HTTP.get("http://127.0.0.1:\(consolePort)/login").status) == 200
        }
        try await eventually("the console's request span reached the collector", timeout: .seconds(30)) {
            collector.spans.contains { $0.service == "tributary-console" && $0.kind == .server && $0.name.contains("/login") }
        }
        #expect(!collector.spans.contains { $0.service == "tributary-console" && $0.name.contains("/readyz") })

        // A run that waits and is resumed by a later event stays in its event's trace: the resumption's
        // span is a child of the first attempt's run span.
        let sentTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: system.bootstrap))
        var placed = CloudEvent.encode(
            EventRecord(id: "evt_trace_order", name: "order.placed", source: "shop.example", payload: ["orderId": "ord_trace"]))
        placed.headers.append(WireHeader("traceparent", "00-\(sentTrace)-00f067aa0ba902b7-01"))
        _ = try await producer.send(KafkaProducerMessage(topic: "\(Self.prefix).events", record: placed))
        try await eventually("the order run waits for its shipment", timeout: .seconds(60)) {
            try await SystemTests.runRecords(system.bootstrap, prefix: Self.prefix).contains {
                $0.eventId == "evt_trace_order" && $0.status == .waiting
            }
        }
        let shipped = CloudEvent.encode(
            EventRecord(
                id: "evt_trace_shipped", name: "order.shipped", source: "shop.example", payload: ["orderId": "ord_trace", "carrier": "dhl"])
        )
        _ = try await producer.send(KafkaProducerMessage(topic: "\(Self.prefix).events", record: shipped))
        await producer.shutdown()
        var orderSpans: [CollectedSpan] = []
        do {
            try await eventually("the resumed order run's span reached the collector in the event's trace", timeout: .seconds(60)) {
                orderSpans = collector.spans.filter {
                    $0.traceId == sentTrace && $0.kind == .consumer && $0.attributes["tributary.job.id"] == .string("order-fulfilment")
                }
                return orderSpans.count >= 2
            }
            try await eventually("the order run succeeded", timeout: .seconds(30)) {
                try await SystemTests.runRecords(system.bootstrap, prefix: Self.prefix).contains {
                    $0.eventId == "evt_trace_order" && $0.status == .succeeded
                }
            }
        } catch {
            let records = try await SystemTests.runRecords(system.bootstrap, prefix: Self.prefix).filter { $0.jobId == "order-fulfilment" }
            let spans = collector.spans.filter { $0.attributes["tributary.job.id"] == .string("order-fulfilment") }
            Issue.record(
                "order runs: \(records.map { "\($0.eventId) \($0.status) \($0.traceparent ?? "-")" }); spans: \(spans.map { "\($0.name) \($0.traceId) \($0.spanId)<-\($0.parentSpanId)" })"
            )
            throw error
        }
        let firstOrderSpan = orderSpans.first { $0.parentSpanId == "00f067aa0ba902b7" }
        #expect(firstOrderSpan != nil, "the first attempt is a child of the event's traceparent: \(orderSpans.map(\.parentSpanId))")
        #expect(
            orderSpans.contains { $0.parentSpanId == firstOrderSpan?.spanId }, "the resumption is a child of the first run span")

        // A forgery: its warning is one JSON line with the request span's trace id.
        let forged = SystemTests.priceCreated(id: "evt_trace_forged", secret: "whsec_not_the_secret")
        #expect(try await HTTP.post("\(system.publicURL)/sources/stripe.webhook", body: forged.body, headers: forged.headers) == 401)
        try await eventually("the rejection's log line is JSON with a trace id the collector knows", timeout: .seconds(30)) {
            let lines = system.receiverLog().split(separator: "\n").compactMap { try? JSON(parsing: String($0)) }
            guard let line = lines.last(where: { $0["message"]?.stringValue == "webhook rejected" }),
                let logged = line["trace_id"]?.stringValue
            else { return false }
            return line["source.key"]?.stringValue == "stripe.webhook" && line["level"]?.stringValue == "warning"
                && line["span_id"] != nil && collector.spans.contains { $0.traceId == logged && $0.kind == .server }
        }

        // The receiver whose collector never answers: the same answers, no slower.
        try await eventually("the second receiver is ready", timeout: .seconds(60)) {
            (try? await HTTP.get("http://127.0.0.1:\(slowPort)/readyz").status) == 200
        }
        try await eventually("the second receiver has the source") {
            let probe = SystemTests.priceCreated(id: "evt_hung_probe", secret: system.secret)
            return try await HTTP.post("http://127.0.0.1:\(slowPort)/sources/stripe.webhook", body: probe.body, headers: probe.headers)
                == 200
        }
        var live: [Duration] = []
        var stuck: [Duration] = []
        for index in 0..<40 {
            let delivery = SystemTests.priceCreated(id: "evt_latency_\(index)", secret: system.secret)
            let forgery = SystemTests.priceCreated(id: "evt_latency_forged_\(index)", secret: "whsec_wrong")
            for (port, isStuck) in [(system.receiverPort, false), (slowPort, true)] {
                let started = ContinuousClock.now
                let status = try await HTTP.post(
                    "http://127.0.0.1:\(port)/sources/stripe.webhook", body: delivery.body, headers: delivery.headers)
                let elapsed = ContinuousClock.now - started
                let rejected = try await HTTP.post(
                    "http://127.0.0.1:\(port)/sources/stripe.webhook", body: forgery.body, headers: forgery.headers)
                #expect(status == 200 && rejected == 401, "port \(port): \(status), \(rejected)")
                if isStuck { stuck.append(elapsed) } else { live.append(elapsed) }
            }
        }
        let median = { (values: [Duration]) in values.sorted()[values.count / 2] }
        let (liveMedian, stuckMedian) = (median(live), median(stuck))
        #expect(
            stuckMedian < liveMedian * 3 + .milliseconds(20), "median with a hung collector \(stuckMedian), with a live one \(liveMedian)")
        // The hung collector's export times out after 30 s: a webhook that waited on it would take that long.
        // (An absolute bound near 1 s fails on a loaded machine, where either receiver can stall that long.)
        #expect(
            stuck.max()! < .seconds(5), "slowest webhook with a hung collector: \(stuck.max()!), with a live one \(live.max()!)")
    }

    @Test(
        "with no OTEL endpoint set, nothing is exported (not even to the default localhost:4318) and the run carries the event's traceparent"
    )
    func tracingOff() async throws {
        // The collector listens where an OTLP exporter sends by default.
        let collector = try Collector(["--port", "4318"])
        _ = try await collector.start()
        let system = try await TracedSystem.start(prefix: "untraced", name: "untraced", receiver: [:], runner: [:], registrar: [:])
        defer {
            system.stop()
            collector.stop()
        }
        let sent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        let delivery = SystemTests.priceCreated(id: "evt_untraced", secret: system.secret)
        try await eventually("the receiver accepts the signed delivery (once it has the source)") {
            try await HTTP.post(
                "\(system.publicURL)/sources/stripe.webhook", body: delivery.body, headers: delivery.headers + [("traceparent", sent)])
                == 200
        }
        try await eventually("evt_untraced succeeded", timeout: .seconds(60)) {
            try await SystemTests.runRecords(system.bootstrap, prefix: "untraced").contains {
                $0.eventId == "evt_untraced" && $0.status == .succeeded && $0.traceparent == sent
            }
        }
        // Batches would have gone out within the default 5 s schedule delay.
        try await Task.sleep(for: .seconds(6))
        #expect(collector.lines.count == 1, "the collector got requests: \(collector.lines.dropFirst())")
        let logged = system.receiverLog()
        #expect(!logged.contains("trace_id"), "no trace ids without a tracer")

        // deploy/: the dashboard and the alert rules name only metrics these services export.
        let forged = SystemTests.priceCreated(id: "evt_untraced_forged", secret: "whsec_wrong")
        #expect(try await HTTP.post("\(system.publicURL)/sources/stripe.webhook", body: forged.body, headers: forged.headers) == 401)
        var exported: Set<String> = []
        for url in system.metricsURLs {
            let (status, body) = try await HTTP.get(url)
            #expect(status == 200, "\(url): \(status)")
            exported.formUnion(DeployMetrics.sampleNames(String(decoding: body, as: UTF8.self)))
        }
        #expect(exported.contains("tributary_build_info") && exported.contains("process_open_fds"))
        let alerts = try DeployMetrics.alertRules()
        let runbooks = try DeployMetrics.runbookAnchors()
        #expect(
            Set(alerts.map(\.name)) == [
                "TributaryRunsFailing", "TributaryDeadLettersGrowing", "TributaryConsumerLagHigh", "TributaryRegistrationFailing",
                "TributarySignatureFailuresSpiking", "TributaryReceiver503s",
            ])
        for alert in alerts {
            let named = DeployMetrics.metricNames(in: alert.expression)
            #expect(!named.isEmpty, "\(alert.name) names no metric")
            for metric in named.sorted() {
                #expect(exported.contains(metric), "alert \(alert.name) names \(metric), which no service exports")
            }
            #expect(runbooks.contains(alert.runbook), "alert \(alert.name): no runbook \(alert.runbook) in docs/operations.md")
        }
        let panels = try DeployMetrics.dashboardExpressions()
        #expect(panels.count >= 15)
        for (title, expression) in panels {
            let named = DeployMetrics.metricNames(in: expression)
            #expect(!named.isEmpty, "panel \(title) names no metric")
            for metric in named.sorted() { #expect(exported.contains(metric), "panel \(title) names \(metric), which no service exports") }
        }
    }
}

/// The system of the tracing tests: broker, fake Stripe, registrar, receiver and one runner, each
/// with its own extra environment; the registrar registered the Stripe endpoint once `start` returns.
struct TracedSystem {
    let processes: [ServiceProcess]
    let bootstrap: String
    let publicURL: String
    let receiverPort: Int
    let secret: String
    let common: [String: String]
    let receiverLogPath: String
    /// `/metrics` of the receiver, the registrar and the runner.
    let metricsURLs: [String]

    static func start(
        prefix: String, name: String, receiver: [String: String], runner: [String: String], registrar: [String: String]
    ) async throws -> TracedSystem {
        let broker = try ServiceProcess("\(name)-broker", "tributary", ["broker", "--topic-prefix", prefix, "--partitions", "4"])
        let bootstrap = try await broker.firstLine()
        let fake = try ServiceProcess("\(name)-fake", "fake-providers", ["--stripe-key", SystemTests.stripeKey])
        let fakeBase = try await fake.firstLine()
        let port = try freePort()
        let (registrarAdmin, runnerAdmin) = (try freePort(), try freePort())
        let publicURL = "http://127.0.0.1:\(port)"
        let common = [
            "KAFKA_BROKERS": bootstrap, "TRIBUTARY_TOPIC_PREFIX": prefix, "TRIBUTARY_SECRET_KEY": SecretSealer.generateKey(),
        ]
        let registrarProcess = try ServiceProcess(
            "\(name)-registrar", "registrar",
            environment: common.merging([
                "PUBLIC_URL": publicURL, "STRIPE_API_KEY": SystemTests.stripeKey, "STRIPE_API_BASE": fakeBase,
                "REGISTRAR_ADMIN_PORT": "\(registrarAdmin)", "REGISTRAR_RESYNC_INTERVAL": "5s",
            ]) { $1 }.merging(registrar) { $1 })
        let receiverProcess = try ServiceProcess(
            "\(name)-receiver", "receiver",
            environment: common.merging(["RECEIVER_HOST": "127.0.0.1", "RECEIVER_PORT": "\(port)"]) { $1 }.merging(receiver) { $1 })
        let runnerProcess = try ServiceProcess(
            "\(name)-runner", "runner", environment: common.merging(["RUNNER_ADMIN_PORT": "\(runnerAdmin)"]) { $1 }.merging(runner) { $1 })
        let processes = [runnerProcess, receiverProcess, registrarProcess, fake, broker]
        var secret = ""
        do {
            try await eventually("the registrar created the Stripe endpoint", timeout: .seconds(90)) {
                guard let endpoints = try? await SystemTests.stripeEndpoints(fakeBase), endpoints.count == 1,
                    let found = endpoints[0]["secret"]?.stringValue
                else { return false }
                secret = found
                return true
            }
            try await eventually("the receiver is ready", timeout: .seconds(60)) {
                (try? await HTTP.get("\(publicURL)/readyz").status) == 200
            }
        } catch {
            for process in processes { process.terminate() }
            throw error
        }
        return TracedSystem(
            processes: processes, bootstrap: bootstrap, publicURL: publicURL, receiverPort: port, secret: secret, common: common,
            receiverLogPath: receiverProcess.logPath,
            metricsURLs: ["\(publicURL)/metrics", "http://127.0.0.1:\(registrarAdmin)/metrics", "http://127.0.0.1:\(runnerAdmin)/metrics"])
    }

    /// What the receiver wrote to standard error so far.
    func receiverLog() -> String { (try? String(contentsOfFile: receiverLogPath, encoding: .utf8)) ?? "" }

    func stop() { for process in processes { process.terminate() } }
}

/// A span as the collector stand-in decoded it.
struct CollectedSpan: Sendable {
    /// OTLP's span kinds.
    enum Kind: Int, Sendable {
        case unspecified = 0, `internal`, server, client, producer, consumer
    }

    var service: String
    var name: String
    var kind: Kind
    var traceId: String
    var spanId: String
    var parentSpanId: String
    var attributes: [String: JSON]
}

/// `Tests/Interop/otlp_collector.py` as a child process: its first line is its base URL, then one
/// JSON line per request and per span received.
final class Collector: Sendable {
    private let child: ChildProcess

    init(_ arguments: [String] = []) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Interop/otlp_collector.py").path
        let python = Python.process([script] + arguments)
        child = try ChildProcess(python.executableURL!, python.arguments ?? [], errors: .separate)
    }

    /// Waits for the collector's base URL.
    func start() async throws -> String {
        do { return try await child.firstLine(timeout: .seconds(30)) } catch {
            throw SystemTestError(
                "the collector stand-in did not start (\(child.errorLines.joined(separator: " "))); \(Python.installHint)")
        }
    }

    /// Every line printed so far (the base URL first).
    var lines: [String] { child.lines }

    /// The spans received so far.
    var spans: [CollectedSpan] {
        child.lines.dropFirst().compactMap { line in
            guard let json = try? JSON(parsing: line), let name = json["name"]?.stringValue else { return nil }
            return CollectedSpan(
                service: json["service"]?.stringValue ?? "", name: name,
                kind: CollectedSpan.Kind(rawValue: Int(json["kind"]?.numberValue ?? 0)) ?? .unspecified,
                traceId: json["traceId"]?.stringValue ?? "", spanId: json["spanId"]?.stringValue ?? "",
                parentSpanId: json["parentSpanId"]?.stringValue ?? "", attributes: json["attributes"]?.objectValue ?? [:])
        }
    }

    /// SIGKILL: the collector keeps nothing (and a test process's children may have SIGTERM blocked).
    func stop() { child.kill() }
}
