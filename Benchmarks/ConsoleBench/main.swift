import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import ServiceSupport
import Tributary
import TributaryConsole
import TributaryKafka

// The console's two figures (Benchmarks/console-bench.sh):
//  ingest  records/s the projection applies from <p>.runs on the embedded broker, beside reading the
//          same records raw with a KafkaTopicReader (goal >= 20,000/s);
//  pages   server time of the runs page and /api/runs over loopback with `runs` runs in the
//          database (goal p99 <= 50 ms at 1,000,000), unfiltered and filtered.
// Usage: ConsoleBench [ingest-records] [database-runs] [requests]

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let ingestRecords = arguments.first ?? 60_000
let databaseRuns = arguments.dropFirst().first ?? 1_000_000
let requests = arguments.dropFirst(2).first ?? 200
var logger = Logger(label: "console-bench")
logger.logLevel = .error

let jobs = ["stripe-on-price", "github-on-push", "order-fulfilment", "daily-digest", "webhooks-on-email-delivered"]
let statuses: [RunRecord.Status] = [.succeeded, .succeeded, .succeeded, .succeeded, .failed, .deadLettered, .waiting, .started]

func run(_ index: Int, base: Date) -> RunRecord {
    let status = statuses[index % statuses.count]
    var record = RunRecord(
        runId: "run_\(String(index, radix: 16))", jobId: jobs[index % jobs.count], jobVersion: "1.0.0",
        eventKey: "stripe.com/evt_\(index)", eventId: "evt_\(index)", eventName: "price.created", source: "stripe.com",
        status: status, attempt: 1, logs: [RunLogLine(time: base, level: "info", message: "price created!", metadata: ["currency": "usd"])],
        properties: [RunProperty(label: "Price ID", text: "price_\(index)")], startedAt: base.addingTimeInterval(Double(index) / 100),
        finishedAt: status == .started ? nil : base.addingTimeInterval(Double(index) / 100 + 0.01))
    if status == .failed || status == .deadLettered { record.error = "card declined" }
    return record
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

func temporaryDatabase(_ name: String) -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("console-bench-\(name)-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent("console.sqlite").path
}

let cluster = try EmbeddedKafkaCluster(logger: logger)
let topics = TributaryTopics(prefix: "bench", partitions: 12)
for topic in topics.all { try cluster.createTopic(topic) }

// MARK: ingest

do {
    let producer = try KafkaProducer(configuration: cluster.configuration, logger: logger)
    let base = Date()
    var batch: [KafkaProducerMessage] = []
    for index in 0..<ingestRecords {
        batch.append(KafkaProducerMessage(topic: topics.runs.name, record: try run(index, base: base).record()))
        if batch.count == 5_000 {
            _ = try await producer.sendAll(batch)
            batch = []
        }
    }
    _ = try await producer.sendAll(batch)
    await producer.shutdown()

    let rawStart = ContinuousClock.now
    let reader = try KafkaTopicReader(configuration: cluster.configuration, topic: topics.runs.name, logger: logger)
    var raw = 0
    for await event in reader {
        if case .message = event { raw += 1 } else { break }
    }
    await reader.close()
    let rawSeconds = (ContinuousClock.now - rawStart).seconds

    let store = try ConsoleStore(path: temporaryDatabase("ingest"))
    let projection = ProjectionService(
        store: store, projection: ConsoleProjection(topics: topics), kafka: cluster.configuration, updates: ConsoleUpdates(),
        retention: .seconds(365 * 86_400), logger: logger)
    let group = ServiceGroup(services: [projection], logger: logger)
    let started = ContinuousClock.now
    let running = Task { try await group.run() }
    while !projection.isCaughtUp { try await Task.sleep(for: .milliseconds(5)) }
    let projectedSeconds = (ContinuousClock.now - started).seconds
    await group.triggerGracefulShutdown()
    try await running.value
    let count = try store.runCount()
    print(
        "ingest: \(count) runs projected in \(String(format: "%.2f", projectedSeconds)) s = \(Int(Double(count) / projectedSeconds)) records/s; raw read \(raw) in \(String(format: "%.2f", rawSeconds)) s = \(Int(Double(raw) / rawSeconds)) records/s"
    )
}

// MARK: pages

do {
    let path = temporaryDatabase("pages")
    let store = try ConsoleStore(path: path)
    let base = Date().addingTimeInterval(-Double(databaseRuns) / 100)
    let loadStart = ContinuousClock.now
    var batch: [ProjectedRecord] = []
    for index in 0..<databaseRuns {
        let record = run(index, base: base)
        let json = try record.record().value ?? []
        batch.append(
            ProjectedRecord(
                change: .run(ProjectedRun(record: record, partition: Int32(index % 12), json: json)), topic: "bench.load",
                partition: 0, offset: Int64(index)))
        if batch.count == 10_000 {
            try store.apply(batch)
            batch = []
        }
    }
    try store.apply(batch)
    let loadSeconds = (ContinuousClock.now - loadStart).seconds
    print(
        "load: \(databaseRuns) runs applied in \(String(format: "%.1f", loadSeconds)) s = \(Int(Double(databaseRuns) / loadSeconds)) records/s (no Kafka)"
    )

    var configuration = ConsoleConfiguration(kafka: cluster.configuration, password: "bench-password")
    configuration.topicPrefix = topics.prefix
    configuration.host = "127.0.0.1"
    configuration.port = 0
    configuration.databasePath = path
    configuration.retention = .seconds(365 * 86_400)
    let port = Mutex<Int>(0)
    let console = try await buildConsole(configuration: configuration, catalog: [], logger: logger) { bound in port.withLock { $0 = bound }
    }
    let group = ServiceGroup(services: console.services, logger: logger)
    let running = Task { try await group.run() }
    while port.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(5)) }
    let url = "http://127.0.0.1:\(port.withLock { $0 })"

    var login = HTTPClientRequest(url: url + "/login")
    login.method = .POST
    login.headers.add(name: "Content-Type", value: "application/json")
    login.body = .bytes(ByteBuffer(string: #"{"password":"bench-password"}"#))
    let answer = try await HTTPClient.shared.execute(login, timeout: .seconds(10))
    let cookie = String(answer.headers.first(name: "set-cookie")?.split(separator: ";").first ?? "")
    _ = try await answer.body.collect(upTo: 1 << 20)

    for route in ["/runs", "/api/runs", "/runs?status=failed", "/api/runs?job=order-fulfilment&status=waiting", "/runs?event=evt_777"] {
        var times: [Double] = []
        for _ in 0..<(requests + 10) {
            var request = HTTPClientRequest(url: url + route)
            request.headers.add(name: "Cookie", value: cookie)
            let start = ContinuousClock.now
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 16 << 20)
            times.append((ContinuousClock.now - start).seconds * 1000)
            precondition(response.status == .ok && body.readableBytes > 0, "\(route) answered \(response.status)")
        }
        times.removeFirst(10)
        print(
            "\(route) with \(databaseRuns) runs: p50 \(String(format: "%.2f", percentile(times, 0.5))) ms, p99 \(String(format: "%.2f", percentile(times, 0.99))) ms over \(requests) requests"
        )
    }
    await group.triggerGracefulShutdown()
    try await running.value
}
cluster.shutdown()

import Synchronization
