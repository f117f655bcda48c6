import ArgumentParser
import Foundation
import ServiceSupport
import Tributary
import TributaryKafka

/// `tributary runs show RUN`: one run in full: its event and payload, status, every attempt the
/// records on `<p>.runs` still hold with its logs, its tasks and waits with their durations.
struct RunsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one run: payload, status, each recorded attempt with its logs, tasks and waits with durations.",
        discussion: "--json prints the run's latest record as stored on <p>.runs.")
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The run id (run_…), as `tributary runs` shows it.") var run: String

    func run() async throws {
        let kafka = try await cluster.kafka()
        let topics = cluster.topics
        let records = try await Self.records(of: run, configuration: kafka, topic: topics.runs.name)
        guard let last = records.last else {
            throw ToolError("no run \(run) on \(topics.runs.name) (`tributary runs` lists the runs)")
        }
        if output.json {
            print(String(decoding: last.raw, as: UTF8.self))
            return
        }
        var event = records.compactMap(\.run.event).last
        if event == nil {
            event = try await Self.event(last.run.eventKey, partition: last.partition, configuration: kafka, topic: topics.events.name)
        }
        for line in Self.describe(records.map(\.run), event: event, eventsTopic: topics.events.name) { print(line) }
    }

    /// Every record of the run on `<p>.runs`, in the order written, with each one's partition and bytes.
    static func records(
        of runId: String, configuration: KafkaConfiguration, topic: String
    ) async throws -> [(run: RunRecord, raw: [UInt8], partition: Int32)] {
        let reader = try KafkaTopicReader(configuration: configuration, topic: topic, logger: toolLogger())
        var found: [(run: RunRecord, raw: [UInt8], partition: Int32)] = []
        for await event in reader {
            switch event {
            case .message(let message):
                guard let value = message.value, let record = try? RunRecord(record: WireRecord(key: message.key, value: value)),
                    record.runId == runId
                else { continue }
                found.append((record, value, message.partition))
            case .caughtUp:
                await reader.close()
                return found
            }
        }
        return found
    }

    /// The run's event from its partition of `<p>.events` (the same partition number as its records),
    /// or nil when it is not there (another system's topic, or gone by retention).
    static func event(_ key: String, partition: Int32, configuration: KafkaConfiguration, topic: String) async throws -> EventRecord? {
        let reader = try KafkaTopicReader(configuration: configuration, topic: topic, partitions: [partition], logger: toolLogger())
        var found: EventRecord?
        for await event in reader {
            switch event {
            case .message(let message):
                if found == nil, message.keyString == key, let decoded = try? CloudEvent.decode(WireRecord(message)) { found = decoded }
            case .caughtUp:
                await reader.close()
                return found
            }
        }
        return found
    }

    /// The lines `runs show` prints for a run's records (oldest first) and its event.
    static func describe(_ records: [RunRecord], event: EventRecord?, eventsTopic: String) -> [String] {
        guard let last = records.last else { return [] }
        var lines: [String] = []
        lines.append("run       \(last.runId)")
        lines.append("job       \(last.jobId) \(last.jobVersion)")
        lines.append("event     \(last.eventName) \(last.eventKey)")
        lines.append("status    \(last.status.rawValue) (attempt \(last.attempt))")
        if let first = records.first {
            let end = last.finishedAt.map { " → \(RFC3339.string(from: $0)), \(duration(from: first.startedAt, to: $0))" } ?? ""
            lines.append("time      \(RFC3339.string(from: first.startedAt))\(end)")
        }
        if let error = last.error, last.status != .succeeded { lines.append("error     \(error)") }
        if let reason = last.reason { lines.append("reason    \(reason)") }
        if let wait = last.wait, last.status == .waiting {
            lines.append("waits     \(wait.task)\(waitDetail(until: wait.until, events: wait.events))")
        }
        if let flowKey = last.flowKey { lines.append("flow key  \(flowKey)") }
        if let trace = last.traceparent, let ids = traceIds(trace) { lines.append("trace     \(ids.trace) (run span \(ids.span))") }
        for property in last.properties { lines.append("property  \(property.label): \(property.text)") }

        lines.append("payload")
        if let event {
            lines.append(contentsOf: pretty(event.payload).split(separator: "\n").map { "  " + String($0) })
        } else {
            lines.append("  (not on \(eventsTopic): the event came from another topic or is gone by retention)")
        }

        // Each attempt's last record holds that attempt's logs.
        var attempts: [Int: RunRecord] = [:]
        for record in records { attempts[record.attempt] = record }
        lines.append("attempts")
        for number in attempts.keys.sorted() {
            let record = attempts[number]!
            let took = record.finishedAt.map { ", \(duration(from: record.startedAt, to: $0))" } ?? ""
            let error = record.error.map { ": \($0)" } ?? ""
            lines.append("  \(number)  \(record.status.rawValue)  \(RFC3339.string(from: record.startedAt))\(took)\(error)")
            if record.logs.isEmpty { lines.append("     (no log lines)") }
            for line in record.logs { lines.append("     " + logLine(line)) }
        }
        let earliest = attempts.keys.min() ?? 1
        if earliest > 1 { lines.append("  (attempts before \(earliest) are no longer on the runs topic)") }

        lines.append("tasks")
        if last.tasks.isEmpty { lines.append("  (none)") }
        for task in last.tasks {
            let took = task.finishedAt.map { ", \(duration(from: task.startedAt, to: $0))" } ?? ""
            let attemptsText = task.attempts > 1 ? ", \(task.attempts) attempts" : ""
            var detail = ""
            if task.resumeAt != nil || task.waitFor != nil {
                detail = "  wait" + waitDetail(until: task.resumeAt, events: task.waitFor)
            }
            if let error = task.error { detail += "  error: \(error)" }
            lines.append(
                "  \(task.key)  \(task.status.rawValue)  \(RFC3339.string(from: task.startedAt))\(took)\(attemptsText)\(detail)")
        }
        return lines
    }

    /// ` until T (in D)` and ` or <names> from <source>` of a wait.
    static func waitDetail(until: Date?, events: EventWait?, now: Date = Date()) -> String {
        var text = ""
        if let until, until != .distantFuture {
            let left = until > now ? " (in \(duration(from: now, to: until)))" : ""
            text += " until \(RFC3339.string(from: until))\(left)"
        }
        if let events {
            let options = events.options.map { "\($0.names.sorted().joined(separator: "|")) from \($0.source)" }
            text += " for \(options.joined(separator: " or "))"
        }
        return text
    }

    /// A log line: time, level, message and metadata.
    static func logLine(_ line: RunLogLine, run: String? = nil) -> String {
        let metadata = line.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let prefix = run.map { "\($0) " } ?? ""
        return "\(prefix)\(RFC3339.string(from: line.time)) \(line.level) \(line.message)\(metadata.isEmpty ? "" : " " + metadata)"
    }

    /// `850ms`, `12.3s`, `4m05s`, `2h10m`, `3d4h`.
    static func duration(from start: Date, to end: Date) -> String {
        let seconds = max(0, end.timeIntervalSince(start))
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds)
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        if whole < 86_400 { return String(format: "%dh%02dm", whole / 3600, whole % 3600 / 60) }
        return "\(whole / 86_400)d\(whole % 86_400 / 3600)h"
    }

    /// Indented JSON with sorted keys.
    static func pretty(_ json: JSON) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(json) else { return json.jsonString }
        return String(decoding: data, as: UTF8.self)
    }
}

/// The trace id and span id of a W3C `traceparent` (`00-<trace>-<span>-<flags>`), nil when it is not one.
func traceIds(_ traceparent: String) -> (trace: String, span: String)? {
    let parts = traceparent.split(separator: "-")
    guard parts.count == 4, parts[1].count == 32, parts[2].count == 16 else { return nil }
    return (String(parts[1]), String(parts[2]))
}
