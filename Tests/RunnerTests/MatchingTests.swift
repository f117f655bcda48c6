import Foundation
import TributaryKafka
import Testing
import Tributary
import TributaryRunner

@Suite("Matching events to jobs", .serialized)
struct MatchingTests {
    @Test("a job runs for events its filter matches (payload and context) and not for the others")
    func matchAndNoMatch() async throws {
        try await withTributaryCluster { cluster, topics in
            let sink = Sink<String>()
            let big = Job(
                id: "big-orders", name: "Big orders", version: "1",
                trigger: Trigger(
                    event: Shop.orderPlaced, filter: ["total": [["$gte": 100]]],
                    contextFilter: ["channel": ["web"]])
            ) { order, _, _ in
                sink.append("big \(order.id)")
            }
            let all = Job(id: "all-orders", name: "All orders", version: "1", trigger: Trigger(event: Shop.orderPlaced)) { order, _, _ in
                sink.append("all \(order.id)")
            }
            let runner = try RunningRunner(cluster.configuration, jobs: [RunnerJob(big), RunnerJob(all)])
            try await runner.waitUntilAssigned(4)
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let producer = try KafkaProducer(configuration: cluster.configuration)
            func send(_ id: String, total: Double, channel: String) async throws {
                var event = Shop.order(id, total: total)
                event.context = ["channel": .string(channel)]
                try await producer.send(KafkaProducerMessage(topic: topics.events.name, partition: 0, record: CloudEvent.encode(event)))
            }
            try await send("o-big", total: 150, channel: "web")
            try await send("o-small", total: 20, channel: "web")
            try await send("o-big-pos", total: 300, channel: "pos")
            try await send("o-last", total: 500, channel: "web")  // after the others on the same partition: its run means they were judged
            try await eventually("big-orders ran for o-last") { sink.count("big o-last") == 1 }
            try await eventually("all-orders ran for every order") { sink.all.filter { $0.hasPrefix("all ") }.count == 4 }
            #expect(sink.count("big o-big") == 1)
            #expect(sink.count("big o-small") == 0, "the payload filter must exclude a total of 20")
            #expect(sink.count("big o-big-pos") == 0, "the context filter must exclude channel pos")
            try await eventually("the runs topic holds 6 succeeded runs") {
                runs.runs.filter { $0.status == .succeeded }.count == 6
            }
            let succeeded = runs.runs.filter { $0.status == .succeeded }
            #expect(
                Set(succeeded.map { "\($0.jobId) \($0.eventId)" }) == [
                    "big-orders o-big", "big-orders o-last",
                    "all-orders o-big", "all-orders o-small", "all-orders o-big-pos", "all-orders o-last",
                ])
            for record in succeeded {
                #expect(record.runId == RunContext.runId(eventKey: record.eventKey, jobId: record.jobId))
                #expect(record.source == "test.shop" && record.eventName == "order.placed" && record.attempt == 1)
            }
            // Run records are co-partitioned with their events.
            #expect(runs.all.allSatisfy { $0.partition == 0 })
            await runs.close()
            await producer.shutdown()
            try await runner.stop()
        }
    }

    @Test(
        "each job declares its trigger on <p>.triggers, keyed by job id, with its start position; then the runner's presence; a stop removes the presence"
    )
    func declaresTriggers() async throws {
        try await withTributaryCluster { cluster, topics in
            let job = Job(
                id: "all-orders", name: "All orders", version: "2",
                trigger: Trigger(event: Shop.orderPlaced, filter: ["total": [["$gt": 5]]])
            ) { _, _, _ in }
            let runner = try RunningRunner(cluster.configuration, jobs: [RunnerJob(job, startPosition: .latest)])
            let triggers = try TopicCollector(cluster.configuration, topic: topics.triggers.name)
            try await eventually("a trigger declaration and a presence record arrive") { triggers.all.count >= 2 }
            let declaration = try TriggerDeclaration(record: WireRecord(triggers.all[0]))
            #expect(triggers.all[0].keyString == "all-orders")
            var expected = try job.declaration()
            expected.startPosition = .latest
            expected.firstDeclaredAt = declaration.firstDeclaredAt
            #expect(declaration == expected)
            #expect(abs(declaration.firstDeclaredAt?.timeIntervalSinceNow ?? 99) < 30)
            let presence = try RunnerPresence(record: WireRecord(triggers.all[1]))
            #expect(triggers.all[1].keyString == RunnerPresence.key(runnerId: runner.service.configuration.runnerId))
            #expect(presence.jobs.map { "\($0.jobId)@\($0.version)" } == ["all-orders@2"])
            #expect(presence.expiresAt > presence.heartbeatAt)
            try await runner.stop()
            try await eventually("the presence is removed (tombstone)") {
                triggers.all.contains { $0.keyString == presence.key && $0.value == nil }
            }
            await triggers.close()
        }
    }

    @Test("an invalid trigger or a duplicate job id fails at start, naming the job")
    func invalidJobs() throws {
        let bad = Job(
            id: "bad", name: "Bad", version: "1",
            trigger: Trigger(event: Shop.orderPlaced, filter: ["total": [["$near": 5]]])
        ) { _, _, _ in }
        let configuration = RunnerConfiguration(kafka: KafkaConfiguration(bootstrapServers: "127.0.0.1:1"))
        #expect(throws: (any Error).self) { _ = try RunnerService(configuration: configuration, jobs: [RunnerJob(bad)]) }
        do {
            _ = try RunnerService(configuration: configuration, jobs: [RunnerJob(bad)])
        } catch {
            #expect("\(error)".contains("bad"))
        }
        let ok = Job(id: "same", name: "A", version: "1", trigger: Trigger(event: Shop.orderPlaced)) { _, _, _ in }
        #expect(throws: (any Error).self) { _ = try RunnerService(configuration: configuration, jobs: [RunnerJob(ok), RunnerJob(ok)]) }
    }
}
