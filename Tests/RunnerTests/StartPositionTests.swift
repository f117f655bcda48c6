import Foundation
import TributaryKafka
import ServiceSupport
import Testing
import Tributary
import TributaryRunner

/// Where a job's own consumer group starts: the single group of earlier versions (the upgrade), a
/// declared time, and what the dedup window lets run again.
@Suite("Start positions, the upgrade and the dedup window")
struct StartPositionTests {
    static func counting(_ id: String, into sink: Sink<String>) -> Job<Shop.Order> {
        Job(id: id, name: id, version: "1", trigger: Trigger(event: Shop.orderPlaced)) { order, _, _ in
            sink.append(order.id)
        }
    }

    @Test(
        "upgrade: a job declared by a single-group runner starts its own group from <p>-runners' committed offsets, skipping and repeating nothing"
    )
    func upgradeFromTheSingleGroup() async throws {
        try await withTributaryCluster { cluster, topics in
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            let old = (0..<20).map { "old\($0)" }
            try await publisher.sendAll(old.map { Shop.order($0, total: 1) })
            // What a runner of the single-group era left: its declaration (no start position) and its group's offsets.
            let legacy = try KafkaConsumer(
                configuration: cluster.configuration,
                consumerConfiguration: KafkaConsumerConfiguration(groupID: "t-runners", topics: [topics.events.name]))
            var seen = 0
            for await message in legacy {
                try legacy.markDone(message)
                seen += 1
                if seen == old.count { break }
            }
            try await legacy.commit()
            await legacy.close()
            let sink = Sink<String>()
            let job = Self.counting("orders", into: sink)
            var legacyDeclaration = try job.declaration()
            legacyDeclaration.startPosition = nil
            _ = try await publisher.producer.send(KafkaProducerMessage(topic: topics.triggers.name, record: try legacyDeclaration.record()))
            let fresh = (0..<20).map { "new\($0)" }
            try await publisher.sendAll(fresh.map { Shop.order($0, total: 1) })

            // `latest` would skip the new events and `earliest` would repeat the old ones: neither happens.
            let runner = try RunningRunner(cluster.configuration, jobs: [RunnerJob(job, startPosition: .latest)])
            try await eventually("the events after the old group's offsets ran") { Set(sink.all).isSuperset(of: fresh) }
            let triggers = try KafkaTableView(configuration: cluster.configuration, topic: topics.triggers.name)
            let reading = Task { await triggers.run() }
            await triggers.waitUntilCaughtUp()
            let declared = try TriggerDeclaration(record: WireRecord(key: nil, value: triggers["orders"]))
            #expect(declared.startsFromGroup == "t-runners")
            #expect(declared.startPosition == .latest)
            await triggers.stop()
            await reading.value
            try await publisher.send(Shop.order("later", total: 1))
            try await eventually("a later event ran") { sink.all.contains("later") }
            #expect(sink.all.sorted() == (fresh + ["later"]).sorted(), "old events ran again or new ones twice: \(sink.all)")
            try await runner.stop()
            await publisher.producer.shutdown()
        }
    }

    @Test(
        "a job declared to start at a time runs the events from that time on, found by record timestamps (the mock cluster cannot answer by time)"
    )
    func startAtTime() async throws {
        try await withTributaryCluster { cluster, topics in
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            let before = (0..<16).map { "b\($0)" }
            try await publisher.sendAll(before.map { Shop.order($0, total: 1) })
            let start = Date()
            // Record timestamps are milliseconds: the next events must be stamped after `start`.
            try await eventually("the clock moved past the start time") { Date().timeIntervalSince(start) > 0.002 }
            let after = (0..<16).map { "a\($0)" }
            try await publisher.sendAll(after.map { Shop.order($0, total: 1) })
            let sink = Sink<String>()
            let runner = try RunningRunner(
                cluster.configuration, jobs: [RunnerJob(Self.counting("timed", into: sink), startPosition: .time(start))])
            // In a full suite run on a loaded 2-core machine the runner's start (group join, the
            // lookup's reads, restoring `<p>.runs`) took 7 s and 40 runs 23 s more: 16 events a side
            // now, and a minute's deadline.
            try await eventually("the events after the start time ran", timeout: .seconds(60)) {
                Set(sink.all).isSuperset(of: after)
            }
            try await publisher.send(Shop.order("last", total: 1))
            try await eventually("a later event ran") { sink.all.contains("last") }
            #expect(sink.all.sorted() == (after + ["last"]).sorted(), "events before the start time ran: \(sink.all)")
            try await runner.stop()
            await publisher.producer.shutdown()
        }
    }

    @Test(
        "a finished run older than the dedup window stops counting: its key is tombstoned on <p>.runs and the event runs again; one inside the window does not"
    )
    func dedupWindow() async throws {
        try await withTributaryCluster { cluster, topics in
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            let sink = Sink<String>()
            let job = RunnerJob(Self.counting("windowed", into: sink))
            let first = try RunningRunner(cluster.configuration, jobs: [job], dedupWindow: .seconds(3600))
            try await first.waitUntilAssigned(4)
            try await publisher.send(Shop.order("once", total: 1))
            try await eventually("the run finished") { sink.all == ["once"] }
            let finished = Date()
            try await first.stop()

            // Inside the window (an hour) a redelivery is skipped.
            let second = try RunningRunner(cluster.configuration, jobs: [job], dedupWindow: .seconds(3600))
            try await second.waitUntilAssigned(4)
            try await publisher.send(Shop.order("once", total: 1))
            try await publisher.send(Shop.order("marker", total: 1))
            try await eventually("the marker ran") { sink.all.contains("marker") }
            #expect(sink.all.filter { $0 == "once" }.count == 1)
            try await second.stop()

            // A runner whose window is 2 s, once the run is older than that: it stops counting.
            try await eventually("the run is older than 2 s (plus the end time's rounding to seconds)", timeout: .seconds(10)) {
                Date().timeIntervalSince(finished) > 3.5
            }
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let third = try RunningRunner(cluster.configuration, jobs: [job], dedupWindow: .seconds(2))
            try await third.waitUntilAssigned(4)
            let key = RunRecord.key(eventKey: "test.shop/once", jobId: "windowed")
            try await eventually("the expired run's key is tombstoned") {
                runs.all.contains { $0.keyString == key && $0.value == nil }
            }
            try await publisher.send(Shop.order("once", total: 1))
            try await eventually("outside the window the event runs again") { sink.all.filter { $0 == "once" }.count == 2 }
            try await third.stop()
            await runs.close()
            await publisher.producer.shutdown()
        }
    }
}

/// `tributary jobs rewind`: a command the runners that consume the job apply to the partitions they hold.
@Suite("Rewinding a job")
struct RewindTests {
    @Test(
        "a rewind re-delivers a job's events from a time on: inside the dedup window they are skipped, outside it they run again; every partition answers"
    )
    func rewind() async throws {
        try await withTributaryCluster { cluster, topics in
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            let sink = Sink<String>()
            let job = RunnerJob(StartPositionTests.counting("rewound", into: sink))
            let runner = try RunningRunner(cluster.configuration, jobs: [job], dedupWindow: .seconds(3600))
            try await runner.waitUntilAssigned(4)
            let before = (0..<8).map { "b\($0)" }
            try await publisher.sendAll(before.map { Shop.order($0, total: 1) })
            let from = Date()
            try await eventually("the clock moved past the rewind time") { Date().timeIntervalSince(from) > 0.002 }
            let after = (0..<8).map { "a\($0)" }
            var reports = try await publisher.sendAll(after.map { Shop.order($0, total: 1) })
            try await eventually("every event ran") { sink.all.count == 16 }
            let finished = Date()
            let client = try CommandClient(configuration: cluster.configuration, topics: topics)

            let first = try await client.sendCollecting(.rewind(job: "rewound", to: from, issuedBy: "test"), timeout: .seconds(20)) {
                Set($0.flatMap { ($0.details?["partitions"]?.arrayValue ?? []).compactMap(\.numberValue) }).count == 4
            }
            #expect(first.allSatisfy { $0.ok } && !first.isEmpty, "\(first)")
            reports.append(try await publisher.send(Shop.order("marker", total: 1)))
            try await eventually("the marker ran") { sink.all.contains("marker") }
            // Every partition read its events again (and skipped them) before the runner stops: one
            // that had not would leave its offsets at the rewind, and the next runner, whose window
            // is 2 s, would run those events before its own rewind, then again after it.
            let ends = reports.reduce(into: [KafkaTopicPartition: Int64]()) { ends, report in
                let partition = KafkaTopicPartition(topic: report.topic, partition: report.partition)
                ends[partition] = max(ends[partition] ?? 0, report.offset + 1)
            }
            try await eventually(
                "the 8 events after the rewind time were read again and skipped, each partition to its end (skipped \(Self.skipped(runner, job: "rewound") ?? 0), at \(runner.service.positions(job: "rewound")), ends \(ends))"
            ) {
                let positions = runner.service.positions(job: "rewound")
                return Self.skipped(runner, job: "rewound") == after.count && ends.allSatisfy { positions[$0.key] == $0.value }
            }
            #expect(sink.all.count == 17, "a rewind inside the dedup window ran finished runs again: \(sink.all)")

            try await runner.stop()
            // The stop committed where the runner was, not the rewind's offsets (the marks of the
            // events read again come after the rewind's own commit).
            let committed = try await KafkaOffsetLookup(configuration: cluster.configuration)
                .committed(group: "t-runners.rewound", partitions: Array(ends.keys))
            #expect(committed == ends, "committed \(committed), read to \(ends)")
            // A runner whose window is 2 s, once the runs are older than that: a rewind runs them again.
            try await eventually("the runs are older than 2 s (plus the end time's rounding to seconds)", timeout: .seconds(10)) {
                Date().timeIntervalSince(finished) > 3.5
            }
            let later = try RunningRunner(cluster.configuration, jobs: [job], dedupWindow: .seconds(2))
            try await later.waitUntilAssigned(4)
            let second = try await client.sendCollecting(.rewind(job: "rewound", to: from, issuedBy: "test"), timeout: .seconds(20)) {
                Set($0.flatMap { ($0.details?["partitions"]?.arrayValue ?? []).compactMap(\.numberValue) }).count == 4
            }
            #expect(second.allSatisfy { $0.ok })
            try await eventually("the events after the rewind time ran again (ran: \(sink.all))") {
                after.allSatisfy { id in sink.all.filter { $0 == id }.count == 2 }
            }
            #expect(before.allSatisfy { id in sink.all.filter { $0 == id }.count == 1 }, "events before the rewind time ran again")
            await client.shutdown()
            try await later.stop()
            await publisher.producer.shutdown()
        }
    }

    /// How many of `job`'s events `runner` skipped because their runs had finished before.
    static func skipped(_ runner: RunningRunner, job: String) -> Int? {
        var text: [UInt8] = []
        runner.service.metrics.registry.emit(into: &text)
        let prefix = #"tributary_runner_runs_total{job="\#(job)",outcome="skipped"} "#
        let line = String(decoding: text, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(prefix) }
        return line.flatMap { Int($0.dropFirst(prefix.count)) }
    }
}
