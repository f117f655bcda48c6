import Foundation
import Testing
import Tributary
import TributaryKafka
import TributaryRunner

/// Flow control per key against the embedded cluster (12 partitions): rate limit, throttle,
/// debounce, batch and idempotency, with their records on `<p>.runs`.
@Suite("Flow control", .serialized)
struct FlowControlTests {
    static let spec = EventSpecification<JSON>(name: "flow.test", title: "Flow", source: "test.flow")

    static func event(_ id: String, key: String, n: Int = 0, extra: [String: JSON] = [:]) -> EventRecord {
        var payload: [String: JSON] = ["key": .string(key), "n": .number(Double(n))]
        payload.merge(extra) { $1 }
        return EventRecord(id: id, name: "flow.test", source: "test.flow", payload: .object(payload))
    }

    /// The latest record of each run of `job`.
    static func latest(_ runs: TopicCollector, job: String) -> [RunRecord] {
        var byRun: [String: RunRecord] = [:]
        for run in runs.runs where run.jobId == job { byRun[run.runId] = run }
        return Array(byRun.values)
    }

    @Test("rate limit: at most 3 runs per key per period, the rest skipped with the reason")
    func rateLimit() async throws {
        try await withTributaryCluster(partitions: 12) { cluster, topics in
            let job = Job(
                id: "limited", name: "Limited", version: "1", trigger: Trigger(event: Self.spec),
                flow: FlowControl(key: .payload("key"), rateLimit: .init(3, per: .seconds(60)))
            ) { _, _, _ in }
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let runner = try RunningRunner(cluster.configuration, jobs: [RunnerJob(job)])
            try await runner.waitUntilAssigned(12)
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            try await publisher.sendAll((0..<20).map { Self.event("r\($0)", key: $0 % 2 == 0 ? "a" : "b", n: $0) })
            try await eventually("every event is decided") { Self.latest(runs, job: "limited").filter { $0.status.isFinal }.count == 20 }
            let records = Self.latest(runs, job: "limited")
            for key in ["a", "b"] {
                let mine = records.filter { $0.flowKey == key }
                #expect(mine.filter { $0.status == .succeeded }.count == 3)
                #expect(mine.filter { $0.status == .skipped }.count == 7)
                #expect(mine.filter { $0.status == .skipped }.allSatisfy { $0.reason?.hasPrefix("rate limited: 3 per") == true })
            }
            try await runner.stop()
            await runs.close()
            await publisher.producer.shutdown()
        }
    }

    @Test("throttle: every event runs, at most 2 starts per key in any 2 s")
    func throttle() async throws {
        try await withTributaryCluster(partitions: 12) { cluster, topics in
            let job = Job(
                id: "throttled", name: "Throttled", version: "1", trigger: Trigger(event: Self.spec),
                flow: FlowControl(key: .payload("key"), throttle: .init(2, per: .seconds(2)))
            ) { _, _, _ in }
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let runner = try RunningRunner(cluster.configuration, jobs: [RunnerJob(job)])
            try await runner.waitUntilAssigned(12)
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            try await publisher.sendAll((0..<12).map { Self.event("t\($0)", key: $0 % 2 == 0 ? "a" : "b", n: $0) })
            try await eventually("every event ran", timeout: .seconds(60)) {
                Self.latest(runs, job: "throttled").filter { $0.status == .succeeded }.count == 12
            }
            #expect(runs.runs.contains { $0.status == .waiting && $0.reason?.hasPrefix("throttled") == true })
            for key in ["a", "b"] {
                let starts = Self.latest(runs, job: "throttled").filter { $0.flowKey == key }.map(\.startedAt).sorted()
                #expect(starts.count == 6)
                for i in 0..<(starts.count - 2) {
                    #expect(starts[i + 2].timeIntervalSince(starts[i]) >= 1.9, "three starts of \(key) within 2 s: \(starts)")
                }
            }
            try await runner.stop()
            await runs.close()
            await publisher.producer.shutdown()
        }
    }

    @Test("debounce: 50 events of a key run once with the last payload; maxDelay runs it while events still come")
    func debounce() async throws {
        try await withTributaryCluster(partitions: 12) { cluster, topics in
            // Two jobs, one per key: "quiet" debounces key a for 8 s with no maxDelay in reach (on a loaded
            // machine the runner can pause more than 2 s between two of the 50 events, and a 2 s debounce
            // would then rightly run one mid-stream); "bounded" debounces key b with a maxDelay of 2 s.
            let quiet = Sink<String>()
            let bounded = Sink<String>()
            func job(_ id: String, key: String, _ debounce: FlowControl.Debounce, _ sink: Sink<String>) -> Job<JSON> {
                Job(
                    id: id, name: id, version: "1", trigger: Trigger(event: Self.spec, filter: EventFilter(["key": [.string(key)]])),
                    flow: FlowControl(key: .payload("key"), debounce: debounce)
                ) { payload, _, _ in
                    sink.append("\(payload["key"]?.stringValue ?? "?") \(Int(payload["n"]?.numberValue ?? -1))")
                }
            }
            let jobs = [
                RunnerJob(job("debounced", key: "a", .init(.seconds(8), maxDelay: .seconds(600)), quiet)),
                RunnerJob(job("debounced-bounded", key: "b", .init(.seconds(1), maxDelay: .seconds(2)), bounded)),
            ]
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let runner = try RunningRunner(cluster.configuration, jobs: jobs)
            try await runner.waitUntilAssigned(12)
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            // One after another: each gets a later timestamp on <p>.events, so "the last" is defined.
            for n in 0..<50 { try await publisher.send(Self.event("d\(n)", key: "a", n: n)) }
            try await eventually("key a ran", timeout: .seconds(40)) { !quiet.all.isEmpty }
            try await eventually("its 50 events are decided (run or skipped)") {
                Self.latest(runs, job: "debounced").filter { $0.flowKey == "a" && $0.status.isFinal }.count == 50
            }
            let skipped = Self.latest(runs, job: "debounced").filter { $0.flowKey == "a" && $0.status == .skipped }
            #expect(skipped.count == 49, "key a ran \(quiet.all); \(skipped.count) skipped")
            #expect(quiet.all == ["a 49"])

            // Key b: an event every 250 ms for 5 s; maxDelay (2 s) runs it before they stop.
            let started = Date()
            var sentLast = started
            for n in 0..<20 {
                try await publisher.send(Self.event("b\(n)", key: "b", n: n))
                sentLast = Date()
                if !bounded.all.isEmpty { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            let ranWhileFlowing = !bounded.all.isEmpty
            #expect(ranWhileFlowing, "maxDelay did not bound the debounce (events sent until \(sentLast.timeIntervalSince(started)) s)")
            try await runner.stop()
            await runs.close()
            await publisher.producer.shutdown()
        }
    }

    @Test("batch: runs take up to 5 events of a key, or what came within 2 s")
    func batch() async throws {
        try await withTributaryCluster(partitions: 12) { cluster, topics in
            let sizes = Sink<String>()
            let job = BatchJob(
                id: "batched", name: "Batched", version: "1", trigger: Trigger(event: Self.spec),
                batch: .init(maxSize: 5, within: .seconds(2)), key: .payload("key")
            ) { payloads, _, _ in
                sizes.append(
                    "\(payloads.first?["key"]?.stringValue ?? "?") \(payloads.count) \(payloads.map { Int($0["n"]?.numberValue ?? -1) })")
            }
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let runner = try RunningRunner(cluster.configuration, jobs: [RunnerJob(job)])
            try await runner.waitUntilAssigned(12)
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            for n in 0..<12 { try await publisher.send(Self.event("b\(n)", key: "a", n: n)) }
            let count = { sizes.all.map { Int($0.split(separator: " ")[1])! } }
            try await eventually("the 12 events ran in batches", timeout: .seconds(30)) { count().reduce(0, +) == 12 }
            // The events of a key come from several partitions of <p>.events, so which ones share a
            // batch follows the order they reach the key's owner; each batch lists them by arrival. A
            // batch's 2 s count from its first event's time on <p>.events: on a machine so loaded that the
            // runner takes that event later than that, it runs with what it has (then 1, 5, 5, 1).
            let batchSizes = count()
            #expect(batchSizes.allSatisfy { (1...5).contains($0) } && batchSizes.filter { $0 == 5 }.count >= 2, "\(batchSizes)")
            let members = sizes.all.flatMap { line in
                line.split(separator: "[")[1].dropLast().split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces))! }
            }
            #expect(Set(members) == Set(0..<12) && members.count == 12)
            for line in sizes.all {
                let numbers = line.split(separator: "[")[1].dropLast().split(separator: ",").map {
                    Int($0.trimmingCharacters(in: .whitespaces))!
                }
                #expect(numbers == numbers.sorted(), "a batch not in arrival order: \(line)")
            }
            try await eventually(
                "the folded events are recorded skipped: \(Self.latest(runs, job: "batched").map { "\($0.eventId) \($0.status.rawValue) \($0.reason ?? "")" }.sorted())"
            ) {
                Self.latest(runs, job: "batched").filter { $0.status == .skipped && $0.reason?.hasPrefix("batched into run") == true }.count
                    == 12 - batchSizes.count
            }
            try await runner.stop()
            await runs.close()
            await publisher.producer.shutdown()
        }
    }

    @Test("idempotency: a second event with the same order id within the window runs nothing")
    func idempotency() async throws {
        try await withTributaryCluster(partitions: 12) { cluster, topics in
            let sink = Sink<String>()
            let job = Job(
                id: "idempotent", name: "Idempotent", version: "1", trigger: Trigger(event: Self.spec),
                flow: FlowControl(key: .payload("orderId"), idempotency: .init(key: .payload("orderId"), window: .seconds(60)))
            ) { _, _, context in
                sink.append(context.event.id)
            }
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let runner = try RunningRunner(cluster.configuration, jobs: [RunnerJob(job)])
            try await runner.waitUntilAssigned(12)
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            try await publisher.send(Self.event("i1", key: "x", extra: ["orderId": "o1"]))
            try await publisher.send(Self.event("i2", key: "x", extra: ["orderId": "o1"]))
            try await publisher.send(Self.event("i3", key: "x", extra: ["orderId": "o2"]))
            try await eventually("all three are decided") { Self.latest(runs, job: "idempotent").filter { $0.status.isFinal }.count == 3 }
            // i1 and i2 are on different partitions of <p>.events: whichever reaches the key's owner
            // first runs, the other is the duplicate.
            let ran = sink.all
            #expect(ran.count == 2 && ran.contains("i3") && (ran.contains("i1") != ran.contains("i2")), "\(ran)")
            let duplicateId = ran.contains("i1") ? "i2" : "i1"
            let duplicate = Self.latest(runs, job: "idempotent").first { $0.eventId == duplicateId }
            #expect(duplicate?.status == .skipped && duplicate?.reason?.hasPrefix("duplicate: idempotency key o1") == true)
            try await runner.stop()
            await runs.close()
            await publisher.producer.shutdown()
        }
    }

    @Test("runs queued by concurrency 1 survive their runner's shutdown: the next runner runs each once, never two at a time")
    func queuedRunsMoveToTheNextRunner() async throws {
        try await withTributaryCluster(partitions: 12) { cluster, topics in
            let sink = Sink<String>()
            let job = Job(
                id: "serial", name: "Serial", version: "1", trigger: Trigger(event: Self.spec),
                flow: FlowControl(key: .payload("key"), concurrency: 1)
            ) { _, _, context in
                sink.append("begin \(context.event.id)")
                try await Task.sleep(for: .milliseconds(200))
                sink.append("end \(context.event.id)")
            }
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let first = try RunningRunner(cluster.configuration, jobs: [RunnerJob(job)])
            try await first.waitUntilAssigned(12)
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            try await publisher.sendAll((0..<20).map { Self.event("q\($0)", key: "a", n: $0) })
            try await eventually("runs are queued behind the first") {
                runs.runs.filter { $0.status == .waiting && $0.reason?.hasPrefix("queued") == true }.count >= 5
            }
            try await first.stop()
            let second = try RunningRunner(cluster.configuration, jobs: [RunnerJob(job)])
            try await eventually("all 20 ran", timeout: .seconds(60)) {
                Set(Self.latest(runs, job: "serial").filter { $0.status == .succeeded }.map(\.eventId)).count == 20
            }
            let lines = sink.all
            #expect(lines.filter { $0.hasPrefix("begin") }.count == 20, "a run ran twice or not at all: \(lines)")
            var open = 0
            var most = 0
            for line in lines {
                open += line.hasPrefix("begin") ? 1 : -1
                most = max(most, open)
            }
            #expect(most == 1, "two runs of the key at once: \(lines)")
            try await second.stop()
            await runs.close()
            await publisher.producer.shutdown()
        }
    }
}
