import ArgumentParser
import Foundation
import ServiceSupport
import Tributary
import TributaryKafka

/// `tributary erase --event ID`: removes one event's payload from what Tributary keeps of it on its
/// compacted topics (the latest run record of each of its runs is written again without the payload,
/// logs, task outputs and properties) and records the erasure on `<p>.audit`.
struct EraseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase", abstract: "Erase an event's payload and its runs' payloads and logs (e.g. a customer's data).",
        discussion: """
            Writes each of the event's run records again on <p>.runs (compacted: the broker drops the older \
            versions at its next compaction) without the payload, its context, the logs, the task outputs and \
            errors and the run properties; status, attempts and timings stay, so a finished run is still not \
            run again. Refused, erasing nothing, while one of its runs is not finished (cancel it first). The \
            event itself on <p>.events and a dead letter on <p>.dlq (delete topics) go at their retention: \
            see the retention table in the README. Recorded on <p>.audit, where the console reads it and \
            erases its own copy (runs, delivery bodies, dead letters).
            """)
    @OptionGroup var cluster: ClusterOptions
    @Option(help: "The event id (ce_id), e.g. evt_1Nabc.") var event: String
    @Option(help: "The event source (ce_source), when the id alone is ambiguous, e.g. stripe.com.") var source: String?

    func run() async throws {
        let configuration = try await cluster.kafka()
        let topics = cluster.topics
        // The latest record of each run key, with its partition and headers.
        let reader = try KafkaTopicReader(configuration: configuration, topic: topics.runs.name, logger: toolLogger())
        var latest: [String: KafkaMessage] = [:]
        reading: for await item in reader {
            switch item {
            case .message(let message):
                guard let key = message.keyString else { continue }
                latest[key] = message
            case .caughtUp:
                await reader.close()
                break reading
            }
        }
        var matching: [(key: String, partition: Int32, value: [UInt8], headers: [WireHeader])] = []
        var sources: Set<String> = []
        for (key, message) in latest {
            guard let value = message.value, let record = try? RunRecord(record: WireRecord(message)), record.eventId == event,
                source == nil || record.source == source
            else { continue }
            sources.insert(record.source)
            matching.append((key, message.partition, value, WireRecord(message).headers))
        }
        let target = source.map { "\($0)/\(event)" } ?? event
        guard !matching.isEmpty else {
            throw ToolError("no run of event \(target) on \(topics.runs.name): nothing to erase")
        }
        guard sources.count == 1 else {
            throw ToolError("event id \(event) is in \(sources.sorted().joined(separator: " and ")): give --source. Nothing was erased.")
        }
        let eventKey = "\(sources.first!)/\(event)"
        let plan = try RunErasure.plan(latest: matching, at: Date())
        if !plan.unfinished.isEmpty {
            let message =
                "not every run of \(eventKey) is finished: \(plan.unfinished.joined(separator: ", ")); cancel them first. Nothing was erased."
            try await audit("erase", target: eventKey, outcome: .refused, message: message, cluster: cluster)
            throw ToolError(message)
        }
        let producer = try KafkaProducer(configuration: configuration, logger: toolLogger())
        do {
            for redacted in plan.redacted {
                try await producer.send(
                    KafkaProducerMessage(topic: topics.runs.name, partition: redacted.partition, record: redacted.record))
            }
            await producer.shutdown()
        } catch {
            await producer.shutdown()
            let message = "erasing \(eventKey) failed part way: \(error); run it again"
            try await audit("erase", target: eventKey, outcome: .failed, message: message, cluster: cluster)
            throw ToolError(message)
        }
        let message =
            "erased the payload and logs of \(plan.redacted.count) run record\(plan.redacted.count == 1 ? "" : "s") of \(eventKey)"
            + (plan.alreadyErased.isEmpty ? "" : " (\(plan.alreadyErased.count) already erased)")
        try await audit(
            "erase", target: eventKey, outcome: .ok, message: message,
            details: [
                "runs": .array(plan.redacted.map { .string($0.key) }), "alreadyErased": .array(plan.alreadyErased.map(JSON.string)),
                "eventId": .string(event), "source": .string(sources.first!),
            ], cluster: cluster)
        print(message)
        note(
            "\(topics.events.name) and \(topics.deadLetters.name) are delete topics: the event itself (and a dead letter of it) go at their retention"
        )
    }
}
