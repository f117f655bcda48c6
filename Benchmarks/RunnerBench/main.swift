// The runner's benchmark (Benchmarks/runner-bench.sh runs it):
//
//   RunnerBench run <bootstrap> <prefix> <name> [concurrent] [jobs=N]
//       a runner process hosting N trivial jobs (1 by default; `bench-trivial-<i>`, all on `bench.tick`
//       from `bench.test`, each its own subscriber: consumer group `<group>.bench-trivial-<i>`); prints
//       `assigned <n>` whenever the number of partitions every job holds changes; SIGTERM stops it.
//       The jobs start from the topic's earliest offset (events produced before the runner runs too).
//   RunnerBench produce <bootstrap> <prefix> <count>
//       publishes <count> `bench.tick` CloudEvents to <prefix>.events in batches of 10,000.
//   RunnerBench measure <bootstrap> <prefix> <count> [jobs=N]
//       reads <prefix>.runs until N x <count> runs succeeded (<count> events, N jobs on each); prints
//       events/s and runs/s from the first `started` record to the last `succeeded` one (broker timestamps).
//   RunnerBench latency <bootstrap> <prefix> <rate> <seconds>
//       one runner in this process; publishes events at <rate>/s for <seconds> s, one awaited send
//       each, and prints p50/p90/p99/max of (job start - send time).
//   RunnerBench webhook-latency <bootstrap> <prefix> <rate> <seconds> <receiver-url> <stripe-secret>
//       one runner in this process; POSTs Stripe-signed price.created webhooks to a running receiver
//       at <rate>/s (open loop) and prints the percentiles of (job start - POST time): end to end.
//   RunnerBench flow <bootstrap> <prefix> <count> <keys>
//       publishes <count> events over <keys> keys (`payload.key`), then runs them in this process twice,
//       one runner after the other: a trivial job without flow control, and the same job with
//       concurrency 1 per key (its events routed through <prefix>.flow); prints runs/s of each (first run
//       start to last run end, measured in the job) and their ratio.
//   RunnerBench waits <bootstrap> <prefix> <count> <wait-seconds> [concurrent]
//       one runner in this process whose job (ordered lanes, or `concurrent` runs) waits <wait-seconds>
//       (the run is suspended) on each of <count>
//       events already on the topic (`produce` them first); prints the suspensions/s, the resumes/s and the
//       delay past due of each resume (p50/p99/max), measured in the process: the embedded broker keeps
//       about 5 MB of a partition, and the run records of 100,000 waiting runs are more, so nothing reads
//       them back (the events themselves, 20 MB over 12 partitions, stay whole).
import AsyncHTTPClient
import Foundation
import TributaryKafka
import Logging
import ServiceLifecycle
import ServiceSupport
import Synchronization
import Tributary
import TributaryIntegrations
import TributaryRunner
import NIOCore

let arguments = CommandLine.arguments
guard arguments.count >= 4 else {
    FileHandle.standardError.write(Data("usage: RunnerBench run|produce|measure|latency bootstrap prefix ...\n".utf8))
    exit(2)
}
let (mode, bootstrap, prefix) = (arguments[1], arguments[2], arguments[3])
let kafka = KafkaConfiguration(bootstrapServers: bootstrap)
let quiet: Logger = {
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    return logger
}()

func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

/// The `jobs=N` option among the arguments after the first `from` (1 when absent).
func jobCount(from index: Int) -> Int {
    guard arguments.count > index,
        let option = arguments[index...].first(where: { $0.hasPrefix("jobs=") }),
        let count = Int(option.dropFirst("jobs=".count)), count > 0
    else { return 1 }
    return count
}

let tick = EventSpecification<JSON>(name: "bench.tick", title: "Tick", source: "bench.test")

func seconds(_ duration: Duration) -> Double {
    duration.seconds
}

/// Unique per process, so events of another run of the benchmark on the same broker are new events.
let runToken = String(UInt32.random(in: 0...UInt32.max), radix: 36)

func tickEvent(_ index: Int) -> EventRecord {
    EventRecord(
        id: "\(runToken)-\(index)", name: "bench.tick", source: "bench.test",
        payload: ["n": .number(Double(index)), "sentAt": .number(Date().timeIntervalSince1970)])
}

func configuration(adminPort: Int = 0) -> RunnerConfiguration {
    var configuration = RunnerConfiguration(
        kafka: kafka, topicPrefix: prefix, adminPort: adminPort, adminHost: "127.0.0.1",
        printRunLogs: false)
    // BENCH_MAX_PENDING_EVENTS: the runner's bound on received events not finished (its read-ahead).
    if let pending = ProcessInfo.processInfo.environment["BENCH_MAX_PENDING_EVENTS"].flatMap(Int.init) {
        configuration.maxPendingEvents = pending
    }
    for (name, value) in ProcessInfo.processInfo.environment where name.hasPrefix("BENCH_CONSUMER_") {
        configuration.consumerProperties[name.dropFirst("BENCH_CONSUMER_".count).lowercased().replacingOccurrences(of: "_", with: ".")] =
            value
    }
    return configuration
}

/// Publishes `total` events at `rate` per second, one awaited send each (sends overlap), sentAt in the payload.
func publishPaced(rate: Int, total: Int) async throws -> KafkaProducer {
    let producer = try KafkaProducer(configuration: kafka, logger: quiet)
    // Untimed first, one event per partition (no job takes it): a new producer's first record to each
    // partition waited about a second on the embedded broker, which is not the latency measured.
    for partition in Int32(0)..<12 {
        let warmup = EventRecord(id: "warmup-\(partition)", name: "bench.warmup", source: "bench.test", payload: [:])
        _ = try await producer.send(
            KafkaProducerMessage(topic: "\(prefix).events", partition: partition, record: CloudEvent.encode(warmup)))
    }
    let interval = Duration.seconds(1) / rate
    let clock = ContinuousClock()
    let start = clock.now
    try await withThrowingDiscardingTaskGroup { sends in
        for index in 0..<total {
            try await clock.sleep(until: start + interval * index)
            sends.addTask {
                try await producer.send(KafkaProducerMessage(topic: "\(prefix).events", record: CloudEvent.encode(tickEvent(index))))
            }
        }
    }
    return producer
}

/// Prints percentiles of sorted latencies in milliseconds.
/// POSTs Stripe-signed `price.created` webhooks (their send time in `data.object.sentAt`) at `rate`
/// per second, open loop; returns how many were not answered 200.
nonisolated func postPaced(client: HTTPClient, url: String, secret: String, token: String, rate: Int, total: Int) async -> Int {
    let interval = Duration.seconds(1) / rate
    let clock = ContinuousClock()
    let start = clock.now
    final class Failures: Sendable { let count = Atomic<Int>(0) }
    let failures = Failures()
    await withDiscardingTaskGroup { posts in
        for index in 0..<total {
            try? await clock.sleep(until: start + interval * index)
            posts.addTask {
                let now = Date().timeIntervalSince1970
                let body = Array(
                    #"{"id":"evt_\#(token)_\#(index)","object":"event","type":"price.created","created":\#(Int(now)),"livemode":false,"data":{"object":{"id":"price_\#(index)","object":"price","currency":"usd","sentAt":\#(now)}}}"#
                        .utf8)
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(
                    name: "Stripe-Signature", value: StripeSignature.header(body: body, secrets: [secret], timestamp: Int64(now)))
                request.body = .bytes(ByteBuffer(bytes: body))
                let status = try? await client.execute(request, timeout: .seconds(30)).status.code
                if status != 200 { failures.count.add(1, ordering: .relaxed) }
            }
        }
    }
    return failures.count.load(ordering: .relaxed)
}

/// Starts a runner with `job` in this process, reading only new events, and waits until it holds
/// partitions (plus a second for the group to settle).
func startLatencyRunner(_ job: some JobDefinition, label: String) async throws -> (ServiceGroup, Task<Void, any Error>) {
    var logger = Logger(label: label)
    logger.logLevel = .warning
    var latest = configuration()
    latest.consumerProperties["auto.offset.reset"] = "latest"
    let runner = try RunnerService(configuration: latest, jobs: [RunnerJob(job)], logger: logger)
    let group = ServiceGroup(configuration: .init(services: [.init(service: runner)], logger: logger))
    let running = Task { try await group.run() }
    while runner.assignedPartitions.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
    try await Task.sleep(for: .seconds(1))
    return (group, running)
}

func report(_ sorted: [Double], total: Int, rate: Int, what: String) {
    guard !sorted.isEmpty else {
        emit("\(what): nothing arrived")
        exit(1)
    }
    func percentile(_ p: Double) -> String {
        String(format: "%.2f", sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))])
    }
    emit(
        "\(sorted.count) of \(total) events at \(rate)/s, \(what): p50 \(percentile(0.5)) ms, p90 \(percentile(0.9)) ms, p99 \(percentile(0.99)) ms, max \(String(format: "%.2f", sorted.last!)) ms"
    )
}

switch mode {
case "run":
    let concurrent = arguments.count > 5 && arguments[5...].contains("concurrent")
    let jobs = (1...jobCount(from: 5)).map { index in
        RunnerJob(
            Job(id: "bench-trivial-\(index)", name: "Trivial \(index)", version: "1", trigger: Trigger(event: tick)) { _, _, _ in },
            // From the topic's start: events produced before the runner starts (BACKLOG=1) run too.
            concurrentRuns: concurrent, startPosition: .earliest)
    }
    var logger = Logger(label: "bench.runner.\(arguments.count > 4 ? arguments[4] : "")")
    logger.logLevel = .warning
    let application = try buildRunner(configuration: configuration(), jobs: jobs, logger: logger)
    let watcher = Task {
        var last = -1
        while !Task.isCancelled {
            let now = application.runner.assignedPartitions.count
            if now != last {
                emit("assigned \(now)")
                last = now
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
    try await ServiceGroup(services: application.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    watcher.cancel()

case "produce":
    let count = Int(arguments[4])!
    let producer = try KafkaProducer(configuration: kafka, logger: quiet)
    let messages = (0..<count).map { KafkaProducerMessage(topic: "\(prefix).events", record: CloudEvent.encode(tickEvent($0))) }
    let start = ContinuousClock.now
    // Four batches of 5,000 in flight at a time.
    try await withThrowingDiscardingTaskGroup { group in
        let batches = stride(from: 0, to: count, by: 5_000).map { Array(messages[$0..<min(count, $0 + 5_000)]) }
        var next = 0
        while next < batches.count {
            let wave = batches[next..<min(batches.count, next + 4)]
            try await withThrowingDiscardingTaskGroup { inner in
                for batch in wave { inner.addTask { _ = try await producer.sendAll(batch) } }
            }
            next += 4
        }
    }
    let elapsed = seconds(ContinuousClock.now - start)
    emit("produced \(count) events in \(String(format: "%.2f", elapsed)) s = \(Int(Double(count) / elapsed)) events/s")
    await producer.shutdown()

case "measure":
    let events = Int(arguments[4])!
    let jobs = jobCount(from: 5)
    let count = events * jobs
    let reader = try KafkaTopicReader(configuration: kafka, topic: "\(prefix).runs", logger: quiet)
    let (first, last, succeeded, records) = await Task.detached {
        var first = Date.distantFuture
        var last = Date.distantPast
        var succeeded = 0
        var records = 0
        for await event in reader {
            guard case .message(let message) = event, let value = message.value, let time = message.timestamp else { continue }
            // Cheap status check: the record is sorted-key JSON with `"status":"…"`.
            let text = String(decoding: value, as: UTF8.self)
            // A trivial run under load writes only its final record (RecordWriter), so the window starts
            // at the first record of any status.
            first = min(first, time)
            records += 1
            if text.contains(#""status":"succeeded""#) {
                succeeded += 1
                last = max(last, time)
                if succeeded == count { break }
            }
        }
        return (first, last, succeeded, records)
    }.value
    await reader.close()
    guard succeeded == count else {
        emit("measure: only \(succeeded) succeeded runs")
        exit(1)
    }
    let span = last.timeIntervalSince(first)
    emit(
        "\(events) events x \(jobs) job\(jobs == 1 ? "" : "s") = \(count) runs in \(String(format: "%.2f", span)) s = \(Int(Double(events) / span)) events/s, \(Int(Double(count) / span)) runs/s (first run record -> last succeeded, broker timestamps; \(records) run records)"
    )

case "latency":
    let rate = Int(arguments[4])!
    let duration = Int(arguments[5])!
    let total = rate * duration
    let latencies = Mutex<[Double]>([])
    latencies.withLock { $0.reserveCapacity(total) }
    let job = Job(id: "bench-latency", name: "Latency", version: "1", trigger: Trigger(event: tick)) { payload, _, ctx in
        let now = Date().timeIntervalSince1970
        guard ctx.event.id.hasPrefix(runToken), let sent = payload["sentAt"]?.numberValue else { return }
        latencies.withLock { $0.append((now - sent) * 1000) }
    }
    let (group, running) = try await startLatencyRunner(job, label: "bench.latency")
    let producer = try await publishPaced(rate: rate, total: total)
    let deadline = ContinuousClock.now + .seconds(30)
    while latencies.withLock({ $0.count }) < total && ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(50))
    }
    report(latencies.withLock { $0 }.sorted(), total: total, rate: rate, what: "publish -> job start (runner)")
    await group.triggerGracefulShutdown()
    try await running.value
    await producer.shutdown()

case "webhook-latency":
    let rate = Int(arguments[4])!
    let total = rate * Int(arguments[5])!
    let (url, secret) = (arguments[6], arguments[7])
    let latencies = Mutex<[Double]>([])
    let priceCreated = EventSpecification<JSON>(name: "price.created", title: "Price created", source: "stripe.com")
    let job = Job(id: "bench-webhook-latency", name: "Webhook latency", version: "1", trigger: Trigger(event: priceCreated)) {
        price, _, ctx in
        let now = Date().timeIntervalSince1970
        guard ctx.event.id.hasPrefix("evt_\(runToken)"), let sent = price["sentAt"]?.numberValue else { return }
        latencies.withLock { $0.append((now - sent) * 1000) }
    }
    let (group, running) = try await startLatencyRunner(job, label: "bench.webhook")
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    let failures = await postPaced(client: client, url: url, secret: secret, token: runToken, rate: rate, total: total)
    let deadline = ContinuousClock.now + .seconds(30)
    while latencies.withLock({ $0.count }) < total - failures && ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(50))
    }
    report(
        latencies.withLock { $0 }.sorted(), total: total, rate: rate,
        what: "webhook POST -> job start (receiver + runner), \(failures) not 200")
    try await client.shutdown()
    await group.triggerGracefulShutdown()
    try await running.value

case "flow":
    let count = Int(arguments[4])!
    let keys = Int(arguments[5])!
    let producer = try KafkaProducer(configuration: kafka, logger: quiet)
    let keyed = (0..<count).map { index in
        KafkaProducerMessage(
            topic: "\(prefix).events",
            record: CloudEvent.encode(
                EventRecord(
                    id: "\(runToken)-\(index)", name: "bench.tick", source: "bench.test",
                    payload: ["n": .number(Double(index)), "key": .string("k\(index % keys)")])))
    }
    for first in stride(from: 0, to: count, by: 5_000) { _ = try await producer.sendAll(Array(keyed[first..<min(count, first + 5_000)])) }
    await producer.shutdown()
    /// When a job's runs ran: the first start, the last end, how many.
    final class RunTimes: Sendable {
        let state = Mutex<(first: Date?, last: Date?, count: Int)>((nil, nil, 0))
    }
    /// Runs `job` on the events already on the topic; the span from its first start to its last end.
    func measure(_ job: Job<JSON>, times: RunTimes) async throws -> Double {
        var logger = Logger(label: "bench.flow")
        logger.logLevel = .warning
        var settings = configuration()
        settings.maxPendingEvents = 200_000
        settings.drainTimeout = .seconds(5)
        let runner = try RunnerService(
            configuration: settings, jobs: [RunnerJob(job, startPosition: .earliest)], logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: runner)], logger: logger))
        let running = Task { try await group.run() }
        let deadline = ContinuousClock.now + .seconds(600)
        while times.state.withLock({ $0.count }) < count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        await group.triggerGracefulShutdown()
        try await running.value
        let result = times.state.withLock { $0 }
        guard result.count == count, let first = result.first, let last = result.last else {
            emit("flow: only \(result.count) of \(count) runs of \(job.id)")
            exit(1)
        }
        return max(last.timeIntervalSince(first), 0.001)
    }
    func timedJob(_ id: String, flow: FlowControl?, _ times: RunTimes) -> Job<JSON> {
        Job(id: id, name: id, version: "1", trigger: Trigger(event: tick), flow: flow) { _, _, _ in
            let now = Date()
            times.state.withLock {
                $0.first = min($0.first ?? now, now)
                $0.last = max($0.last ?? now, now)
                $0.count += 1
            }
        }
    }
    let plainTimes = RunTimes()
    let plain = try await measure(timedJob("bench-plain", flow: nil, plainTimes), times: plainTimes)
    let limitedTimes = RunTimes()
    let limited = try await measure(
        timedJob(
            "bench-concurrency",
            flow: FlowControl(key: .payload("key"), concurrency: ProcessInfo.processInfo.environment["BENCH_NO_LIMIT"] == nil ? 1 : nil),
            limitedTimes), times: limitedTimes)
    let plainRate = Double(count) / plain
    let limitedRate = Double(count) / limited
    emit(
        "\(count) events over \(keys) keys: no limit \(Int(plainRate)) runs/s (\(String(format: "%.2f", plain)) s); concurrency 1 per key \(Int(limitedRate)) runs/s (\(String(format: "%.2f", limited)) s) = \(Int((limitedRate / plainRate * 100).rounded()))% of the job without a limit"
    )

case "waits":
    let count = Int(arguments[4])!
    let wait = Duration.seconds(Double(arguments[5])!)
    struct Observed {
        var suspended: [Date] = []
        var resumed: [Date] = []
        var late: [Double] = []
    }
    let observed = Mutex(Observed())
    observed.withLock {
        $0.suspended.reserveCapacity(count)
        $0.resumed.reserveCapacity(count)
        $0.late.reserveCapacity(count)
    }
    let job = Job(id: "bench-wait", name: "Wait", version: "1", trigger: Trigger(event: tick)) { _, io, ctx in
        let before = try await io.store.task(runId: ctx.runId, key: "w")
        if before == nil { observed.withLock { $0.suspended.append(Date()) } }
        try await io.wait("w", for: wait)
        let now = Date()
        let due = try await io.store.task(runId: ctx.runId, key: "w")?.resumeAt ?? now
        observed.withLock {
            $0.resumed.append(now)
            $0.late.append(now.timeIntervalSince(due) * 1000)
        }
    }
    var logger = Logger(label: "bench.waits")
    logger.logLevel = ProcessInfo.processInfo.environment["BENCH_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    var settings = configuration()
    settings.maxPendingEvents = 200_000
    settings.drainTimeout = .seconds(5)
    let concurrent = arguments.count > 6 && arguments[6] == "concurrent"
    let runner = try RunnerService(
        configuration: settings, jobs: [RunnerJob(job, concurrentRuns: concurrent, startPosition: .earliest)], logger: logger)
    let group = ServiceGroup(configuration: .init(services: [.init(service: runner)], logger: logger))
    let running = Task { try await group.run() }
    let deadline = ContinuousClock.now + .seconds(600)
    while observed.withLock({ $0.resumed.count }) < count && ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(100))
    }
    let result = observed.withLock { $0 }
    await group.triggerGracefulShutdown()
    try await running.value
    guard result.resumed.count == count, let firstSuspension = result.suspended.min(), let lastSuspension = result.suspended.max(),
        let firstResume = result.resumed.min(), let lastResume = result.resumed.max()
    else {
        emit("waits: only \(result.resumed.count) of \(count) runs resumed (\(result.suspended.count) suspended)")
        exit(1)
    }
    let late = result.late.sorted()
    func percentile(_ p: Double) -> String { String(format: "%.1f", late[min(late.count - 1, Int(Double(late.count) * p))]) }
    let suspending = max(lastSuspension.timeIntervalSince(firstSuspension), 0.001)
    let resuming = max(lastResume.timeIntervalSince(firstResume), 0.001)
    emit(
        "\(count) runs waited \(arguments[5]) s: suspended at \(Int(Double(count) / suspending))/s (\(String(format: "%.2f", suspending)) s), resumed at \(Int(Double(count) / resuming))/s (\(String(format: "%.2f", resuming)) s); delay past due p50 \(percentile(0.5)) ms, p99 \(percentile(0.99)) ms, max \(String(format: "%.1f", late.last!)) ms"
    )

case "latency-ceiling":
    // The same paced events, read by a bare consumer group member with the runner's consumer settings.
    let rate = Int(arguments[4])!
    let total = rate * Int(arguments[5])!
    var settings = KafkaConsumerConfiguration(groupID: "ceiling-\(runToken)", topics: ["\(prefix).events"])
    settings.autoOffsetReset = "latest"
    settings.properties = configuration().consumerProperties
    let assigned = Mutex(false)
    let consumer = try KafkaConsumer(
        configuration: kafka, consumerConfiguration: settings,
        rebalanceHandler: KafkaRebalanceHandler(onAssign: { _ in assigned.withLock { $0 = true } }),
        logger: quiet)
    let reading = Task.detached { () -> [Double] in
        var latencies: [Double] = []
        for await message in consumer {
            let now = Date().timeIntervalSince1970
            if let value = message.value, let event = try? CloudEvent.decode(WireRecord(message)),
                let sent = event.payload["sentAt"]?.numberValue
            {
                _ = value
                latencies.append((now - sent) * 1000)
            }
            if latencies.count == total { break }
        }
        return latencies
    }
    while !assigned.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(50)) }
    try await Task.sleep(for: .seconds(1))
    let producer = try await publishPaced(rate: rate, total: total)
    let latencies = await reading.value
    report(latencies.sorted(), total: total, rate: rate, what: "publish -> consumer receives (bare KafkaConsumer)")
    await consumer.close()
    await producer.shutdown()

default:
    FileHandle.standardError.write(Data("unknown mode \(mode)\n".utf8))
    exit(2)
}
