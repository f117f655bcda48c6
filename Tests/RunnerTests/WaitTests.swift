import Foundation
import Testing
import Tributary
import TributaryKafka
import TributaryRunner

/// Durable execution against the embedded cluster: runs that wait give up their partition, resume
/// once, meet the events they wait for on any partition (also one that came just before the wait),
/// send events once, and are cancelled by an event or by hand.
@Suite("Waiting runs", .serialized)
struct WaitTests {
    struct Shipment: Codable, Sendable {
        var orderId: String
        var carrier: String
    }

    static let shipped = EventSpecification<Shipment>(name: "order.shipped", title: "Shipped", source: "test.shop")
    static let cancelled = EventSpecification<JSON>(name: "order.cancelled", title: "Cancelled", source: "test.shop")
    static let announced = EventSpecification<JSON>(name: "order.announced", title: "Announced", source: "test.shop")
    static let quick = RetryOptions(limit: 3, factor: 1, minTimeout: .milliseconds(50), maxTimeout: .milliseconds(50), randomize: false)

    /// Produces `event` to an explicit partition of `topic`.
    static func send(_ producer: KafkaProducer, _ topic: String, _ event: EventRecord, partition: Int32) async throws {
        _ = try await producer.send(KafkaProducerMessage(topic: topic, partition: partition, record: CloudEvent.encode(event)))
    }

    static func shipment(_ order: String, id: String) -> EventRecord {
        EventRecord(id: id, name: "order.shipped", source: "test.shop", payload: ["orderId": .string(order), "carrier": "dhl"])
    }

    @Test("1,000 runs wait at once while the job's committed offsets reach the end of the topic")
    func aThousandWaitingRunsHoldNoPartition() async throws {
        try await withTributaryCluster { cluster, topics in
            let napper = Job(id: "napper", name: "Napper", version: "1", trigger: Trigger(event: Shop.orderPlaced)) { _, io, _ in
                try await io.wait("nap", for: .seconds(3600))
            }
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            try await publisher.sendAll((0..<1000).map { Shop.order("n\($0)", total: 1) })
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let runner = try RunningRunner(cluster.configuration, jobs: [RunnerJob(napper)])
            try await runner.waitUntilAssigned(4)
            try await eventually("1,000 runs are waiting", timeout: .seconds(90)) {
                Set(runs.runs.filter { $0.status == .waiting }.map(\.runId)).count == 1000
            }
            let partitions = (0..<4).map { KafkaTopicPartition(topic: topics.events.name, partition: $0) }
            let lookup = KafkaOffsetLookup(configuration: cluster.configuration)
            var ends: [KafkaTopicPartition: Int64] = [:]
            for partition in partitions { ends[partition] = try await lookup.watermarks(partition).high }
            let expected = ends
            try await eventually("the job's group committed every partition to its end", timeout: .seconds(30)) {
                let committed = try await lookup.committed(group: "t-runners.napper", partitions: partitions)
                return committed == expected
            }
            let waiting = runs.runs.filter { $0.status == .waiting }
            #expect(waiting.allSatisfy { $0.wait?.task == "nap" && $0.event != nil })
            #expect(runs.runs.allSatisfy { $0.status == .started || $0.status == .waiting }, "nothing resumed early")
            try await runner.stop()
            await runs.close()
            await publisher.producer.shutdown()
        }
    }

    @Test("a run waiting 2 s resumes once, after its wait, with its first task memoized")
    func aShortWaitResumesOnce() async throws {
        try await withTributaryCluster { cluster, topics in
            let sink = Sink<String>()
            let job = Job(id: "pauser", name: "Pauser", version: "1", trigger: Trigger(event: Shop.orderPlaced)) { order, io, _ in
                let _: String = try await io.runTask("before") {
                    sink.append("before \(order.id)")
                    return "ok"
                }
                try await io.wait("pause", for: .seconds(2))
                sink.append("after \(order.id)")
            }
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let runner = try RunningRunner(cluster.configuration, jobs: [RunnerJob(job)])
            try await runner.waitUntilAssigned(4)
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            let sent = Date()
            try await publisher.send(Shop.order("p1", total: 1))
            try await eventually("the run resumed and succeeded", timeout: .seconds(30)) {
                runs.runs.contains { $0.jobId == "pauser" && $0.status == .succeeded }
            }
            #expect(sink.all == ["before p1", "after p1"])
            let records = runs.runs.filter { $0.jobId == "pauser" }
            let waiting = try #require(records.first { $0.status == .waiting })
            #expect(waiting.wait?.task == "pause")
            let waitedUntil = try #require(waiting.wait?.until)
            #expect(waitedUntil.timeIntervalSince(sent) >= 1.9)
            let done = try #require(records.last)
            #expect(done.finishedAt! >= waitedUntil)
            #expect(done.tasks.map(\.key) == ["before", "pause"] && done.tasks.allSatisfy { $0.status == .completed })
            #expect(done.event?.id == "p1")
            try await runner.stop()
            await runs.close()
            await publisher.producer.shutdown()
        }
    }

    @Test(
        "waitForEvent is ended by a matching event on another partition, by one that came 1 s before the wait began, and otherwise times out"
    )
    func waitForEventMatchesAnywhereLooksBackAndTimesOut() async throws {
        try await withTributaryCluster { cluster, topics in
            let sink = Sink<String>()
            let job = Job(id: "fulfil", name: "Fulfil", version: "1", trigger: Trigger(event: Shop.orderPlaced)) { order, io, _ in
                let timeout: Duration = order.total == 0 ? .seconds(2) : .seconds(600)
                let result = try await io.waitForEvent(
                    "shipped", Self.shipped, filter: ["orderId": [.string(order.id)]], timeout: timeout, lookback: .seconds(30))
                switch result {
                case .event(let shipment, let event): sink.append("shipped \(shipment.orderId) \(event.id)")
                case .timedOut: sink.append("timeout \(order.id)")
                }
            }
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let runner = try RunningRunner(cluster.configuration, jobs: [RunnerJob(job)])
            try await runner.waitUntilAssigned(4)
            let producer = try KafkaProducer(configuration: cluster.configuration)
            let events = topics.events.name

            // Another partition: the order on 0, its shipment on 3.
            try await Self.send(producer, events, Shop.order("o1", total: 5), partition: 0)
            try await eventually("o1 waits") { runs.runs.contains { $0.status == .waiting && $0.eventId == "o1" } }
            try await Self.send(producer, events, Self.shipment("o2-decoy", id: "s0"), partition: 3)
            try await Self.send(producer, events, Self.shipment("o1", id: "s1"), partition: 3)

            // Lookback: o2's shipment arrives (partition 2) a second before the order (partition 1).
            try await Self.send(producer, events, Self.shipment("o2", id: "s2"), partition: 2)
            try await Task.sleep(for: .seconds(1))
            try await Self.send(producer, events, Shop.order("o2", total: 5), partition: 1)

            // Timeout: nothing ships o3.
            try await Self.send(producer, events, Shop.order("o3", total: 0), partition: 2)

            try await eventually("all three waits ended", timeout: .seconds(60)) {
                Set(sink.all) == ["shipped o1 s1", "shipped o2 s2", "timeout o3"]
            }
            try await eventually("the three runs succeeded") {
                Set(runs.runs.filter { $0.status == .succeeded }.map(\.eventId)) == ["o1", "o2", "o3"]
            }
            #expect(sink.all.count == 3, "a wait ended twice: \(sink.all)")
            try await runner.stop()
            await runs.close()
            await producer.shutdown()
        }
    }

    @Test("sendEvent in a run that fails after it and is retried sends the event once, and the job it triggers runs once")
    func sendEventRetriedSendsOnce() async throws {
        try await withTributaryCluster { cluster, topics in
            let sink = Sink<String>()
            let announcer = Job(id: "announcer", name: "Announcer", version: "1", trigger: Trigger(event: Shop.orderPlaced)) {
                order, io, context in
                try await io.sendEvent("announce", Self.announced, payload: ["orderId": order.id])
                if context.attempt == 1 { throw CancellationError() }
            }
            let listener = Job(id: "listener", name: "Listener", version: "1", trigger: Trigger(event: Self.announced)) { payload, _, _ in
                sink.append("heard \(payload["orderId"]?.stringValue ?? "?")")
            }
            let events = try TopicCollector(cluster.configuration, topic: topics.events.name)
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let runner = try RunningRunner(
                cluster.configuration, jobs: [RunnerJob(announcer, retry: Self.quick), RunnerJob(listener)])
            try await runner.waitUntilAssigned(4)
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            try await publisher.send(Shop.order("a1", total: 1))
            try await eventually("the announcer succeeded on its second attempt and the listener heard it", timeout: .seconds(30)) {
                runs.runs.contains { $0.jobId == "announcer" && $0.status == .succeeded && $0.attempt == 2 }
                    && runs.runs.contains { $0.jobId == "listener" && $0.status == .succeeded }
            }
            let announced = events.all.compactMap { try? CloudEvent.decode(WireRecord($0)) }.filter { $0.name == "order.announced" }
            #expect(announced.count == 1)
            #expect(sink.all == ["heard a1"])
            try await runner.stop()
            await events.close()
            await runs.close()
            await publisher.producer.shutdown()
        }
    }

    @Test(
        "cancelOn cancels a waiting run on a matching event, a cancel request cancels a waiting and a running run, and the run queued behind the running one then runs"
    )
    func cancellation() async throws {
        try await withTributaryCluster { cluster, topics in
            let job = Job(
                id: "cancellable", name: "Cancellable", version: "1", trigger: Trigger(event: Shop.orderPlaced),
                cancelOn: CancelOn(Self.cancelled) { order in ["orderId": [.string(order.id)]] }
            ) { order, io, _ in
                if order.total == 999 {
                    let _: String = try await io.runTask("block") {
                        try await Task.sleep(for: .seconds(3600))
                        return "never"
                    }
                }
                try await io.wait("long", for: .seconds(3600))
            }
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let runner = try RunningRunner(cluster.configuration, jobs: [RunnerJob(job)])
            try await runner.waitUntilAssigned(4)
            let producer = try KafkaProducer(configuration: cluster.configuration)
            let events = topics.events.name
            try await Self.send(producer, events, Shop.order("c1", total: 1), partition: 0)
            try await Self.send(producer, events, Shop.order("c2", total: 1), partition: 1)
            try await Self.send(producer, events, Shop.order("c3", total: 999), partition: 2)
            // Queued behind c3 in its partition's lane: it starts only once c3 is over.
            try await Self.send(producer, events, Shop.order("c4", total: 1), partition: 2)
            try await eventually("c1 and c2 wait, c3 runs") {
                let waiting = Set(runs.runs.filter { $0.status == .waiting }.map(\.eventId))
                return waiting == ["c1", "c2"] && runs.runs.contains { $0.eventId == "c3" && $0.status == .started }
            }
            #expect(!runs.runs.contains { $0.eventId == "c4" })
            // By an event, on another partition.
            try await Self.send(
                producer, events, EventRecord(id: "x1", name: "order.cancelled", source: "test.shop", payload: ["orderId": "c1"]),
                partition: 3)
            // By hand, as `tributary runs cancel` asks.
            for (id, partition) in [("c2", Int32(1)), ("c3", Int32(2))] {
                let run = try #require(runs.runs.last { $0.eventId == id })
                let request = WaitRecord(
                    kind: .cancel, jobId: "cancellable", runKey: RunRecord.key(eventKey: run.eventKey, jobId: "cancellable"),
                    runId: run.runId, task: WaitRecord.cancelRequestTask, runsPartition: partition, reason: "cancelled by the test")
                _ = try await producer.send(
                    KafkaProducerMessage(topic: topics.waits.name, partition: partition, record: try request.record()))
            }
            try await eventually(
                "all three are cancelled (records: \(runs.runs.map { "\($0.eventId) \($0.status.rawValue)" }))", timeout: .seconds(30)
            ) {
                Set(runs.runs.filter { $0.status == .cancelled }.map(\.eventId)) == ["c1", "c2", "c3"]
            }
            // c3 was cancelled in the lane's worker task, which stays cancelled: a fresh worker runs c4.
            try await eventually("c4 runs after c3 and waits") { runs.runs.contains { $0.eventId == "c4" && $0.status == .waiting } }
            let reasons = Dictionary(runs.runs.filter { $0.status == .cancelled }.map { ($0.eventId, $0.reason ?? "") }) { a, _ in a }
            #expect(reasons["c1"] == "cancelled by event order.cancelled x1")
            #expect(reasons["c2"] == "cancelled by the test" && reasons["c3"] == "cancelled by the test")
            try await runner.stop()
            await runs.close()
            await producer.shutdown()
        }
    }

    @Test("runs waiting while a second runner joins (a rebalance) each resume exactly once")
    func waitsSurviveARebalance() async throws {
        try await withTributaryCluster { cluster, topics in
            let sink = Sink<String>()
            let job = Job(id: "rebalanced", name: "Rebalanced", version: "1", trigger: Trigger(event: Shop.orderPlaced)) { order, io, _ in
                try await io.wait("pause", for: .seconds(4))
                sink.append(order.id)
            }
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let first = try RunningRunner(cluster.configuration, jobs: [RunnerJob(job)])
            try await first.waitUntilAssigned(4)
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            let ids = (0..<40).map { "r\($0)" }
            try await publisher.sendAll(ids.map { Shop.order($0, total: 1) })
            try await eventually("40 runs wait") { Set(runs.runs.filter { $0.status == .waiting }.map(\.eventId)).count == 40 }
            let second = try RunningRunner(cluster.configuration, jobs: [RunnerJob(job)])
            try await eventually("the runners split the partitions", timeout: .seconds(30)) {
                first.service.assignedPartitions.count == 2 && second.service.assignedPartitions.count == 2
            }
            try await eventually("every run resumed", timeout: .seconds(60)) { Set(sink.all) == Set(ids) }
            try await eventually("every run succeeded") {
                Set(runs.runs.filter { $0.status == .succeeded }.map(\.eventId)) == Set(ids)
            }
            #expect(sink.all.count == 40, "a run resumed twice: \(sink.all.sorted())")
            try await first.stop()
            try await second.stop()
            await runs.close()
            await publisher.producer.shutdown()
        }
    }
}
