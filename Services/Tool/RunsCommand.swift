import ArgumentParser
import Foundation
import TributaryKafka
import ServiceSupport
import Tributary

/// `tributary runs`: lists runs (the default) or cancels one.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Show job runs (runs list, the default), one run in full (runs show RUN) or cancel one (runs cancel RUN).",
        subcommands: [RunsListCommand.self, RunsShowCommand.self, RunsCancelCommand.self], defaultSubcommand: RunsListCommand.self)
}

/// `tributary runs list`: the runs recorded on `<p>.runs` (latest state of each), optionally following new ones.
struct RunsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Show job runs: status, attempt, error; --follow keeps printing changes.")
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Only runs of this job.") var job: String?
    @Option(help: "Only runs with this status: started, waiting, succeeded, failed, dead-lettered, cancelled or skipped.")
    var status: RunRecord.Status?
    @Flag(help: "Keep printing runs as they change.") var follow = false
    @Flag(help: "With the table, also print each run's log lines (with --follow: each line once, as it arrives).") var logs = false

    func run() async throws {
        let reader = try KafkaTopicReader(configuration: try await cluster.kafka(), topic: cluster.topics.runs.name, logger: toolLogger())
        var latest: [String: (run: RunRecord, raw: [UInt8])] = [:]
        var caughtUp = false
        let printed = PrintedLogs()
        for await event in reader {
            switch event {
            case .message(let message):
                guard let value = message.value, let run = try? RunRecord(record: WireRecord(key: message.key, value: value)) else {
                    continue  // other records on the topic (e.g. task records) or tombstones
                }
                latest[run.runId] = (run, value)
                if caughtUp, selected(run) { emit([(run, value)], printed: printed) }
            case .caughtUp:
                caughtUp = true
                let runs = latest.values.filter { selected($0.run) }.sorted { $0.run.startedAt < $1.run.startedAt }
                if runs.isEmpty && !output.json {
                    note("no runs\(job.map { " of \($0)" } ?? "")\(status.map { " with status \($0.rawValue)" } ?? "")")
                }
                emit(runs, header: true, printed: printed)
                if !follow {
                    await reader.close()
                    return
                }
            }
        }
    }

    /// The log lines printed already, so that `--follow --logs` prints each line once as later records
    /// of a run bring more (each record holds its attempt's lines so far; a resumed run's are new ones).
    final class PrintedLogs: @unchecked Sendable {
        var seen: Set<String> = []
        func fresh(_ run: RunRecord) -> [RunLogLine] {
            run.logs.filter { line in
                seen.insert(
                    "\(run.runId)|\(line.time.timeIntervalSince1970)|\(line.level)|\(line.message)|\(line.metadata.sorted { $0.key < $1.key })"
                )
                .inserted
            }
        }
    }

    private func selected(_ run: RunRecord) -> Bool {
        (job == nil || run.jobId == job) && (status == nil || run.status == status)
    }

    private func emit(_ entries: [(run: RunRecord, raw: [UInt8])], header: Bool = false, printed: PrintedLogs) {
        if output.json {
            // The record exactly as stored on the topic: one JSON object per line.
            for entry in entries { print(String(decoding: entry.raw, as: UTF8.self)) }
            return
        }
        let runs = entries.map(\.run)
        let rows = runs.map { run in
            [
                run.runId, run.jobId, run.eventKey, run.status.rawValue, "\(run.attempt)",
                RFC3339.string(from: run.finishedAt ?? run.startedAt), Self.detail(run),
            ]
        }
        if header {
            printTable(["RUN", "JOB", "EVENT", "STATUS", "ATTEMPT", "UPDATED", "ERROR / WAIT / REASON"], rows)
        } else {
            for row in rows { print(row.joined(separator: "  ")) }
        }
        if logs {
            for run in runs {
                for line in printed.fresh(run) { print("  " + RunsShowCommand.logLine(line, run: run.runId)) }
            }
        }
        fflush(nil)  // with --follow, each change as it arrives (standard output is a pipe in scripts)
    }

    /// The last column: a failure's error, what a waiting run waits for, why a run was cancelled.
    static func detail(_ run: RunRecord) -> String {
        switch run.status {
        case .waiting where run.wait?.task == RunRecord.flowHoldTask:
            let until = run.wait.map { $0.until == .distantFuture ? "" : " until \(RFC3339.string(from: $0.until))" } ?? ""
            return (run.reason ?? "held") + until
        case .waiting:
            guard let wait = run.wait else { return "-" }
            let events = wait.events.map { " or " + $0.names.sorted().joined(separator: "|") } ?? ""
            return "\(wait.task): until \(RFC3339.string(from: wait.until))\(events)"
        case .cancelled, .skipped: return run.reason ?? "-"
        default: return run.error ?? "-"
        }
    }
}

/// `tributary runs cancel RUN`: cancels a waiting or running run. The request goes on `<p>.waits`
/// (on the run's partition); the runner that owns the run cancels it and records it `cancelled`.
struct RunsCancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a waiting or running run; waits until a runner has recorded it cancelled.")
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "The run id (run_…), as `tributary runs` shows it.") var run: String
    @Option(help: "Why (recorded on the run).") var reason: String?
    @Option(help: "How long to wait for a runner to record the cancellation, e.g. 30s.") var timeout: String = "30s"

    func run() async throws {
        guard let limit = ServiceEnvironment.parseDuration(timeout) else {
            throw ToolError("--timeout \(timeout) is not a duration such as 30s, 2m or 500ms")
        }
        let kafka = try await cluster.kafka()
        let reader = try KafkaTopicReader(configuration: kafka, topic: cluster.topics.runs.name, logger: toolLogger())
        let producer = try KafkaProducer(configuration: kafka, logger: toolLogger())
        defer { Task { await producer.shutdown() } }
        let runId = run
        let who = CommandClient.issuer()
        let why = "cancelled by \(who) (tributary runs cancel)" + (reason.map { ": \($0)" } ?? "")
        let topic = cluster.topics.waits.name
        let outcome: String = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                var found: (run: RunRecord, partition: Int32)?
                var sent = false
                for await event in reader {
                    switch event {
                    case .message(let message):
                        guard let value = message.value, let record = try? RunRecord(record: WireRecord(key: message.key, value: value)),
                            record.runId == runId
                        else { continue }
                        found = (record, message.partition)
                        if sent, record.status == .cancelled { return "cancelled \(runId): \(record.reason ?? why)" }
                        if sent, record.status.isFinal { return "\(runId) ended \(record.status.rawValue) before it could be cancelled" }
                    case .caughtUp:
                        guard let found else { throw ToolError("no run \(runId) on \(cluster.topics.runs.name)") }
                        if found.run.status.isFinal { return "\(runId) is already \(found.run.status.rawValue); nothing to cancel" }
                        let request = WaitRecord(
                            kind: .cancel, jobId: found.run.jobId,
                            runKey: RunRecord.key(eventKey: found.run.eventKey, jobId: found.run.jobId),
                            runId: runId, task: WaitRecord.cancelRequestTask, runsPartition: found.partition, reason: why)
                        _ = try await producer.send(
                            KafkaProducerMessage(topic: topic, partition: found.partition, record: try request.record()))
                        sent = true
                        note("cancel requested for \(runId) (\(found.run.jobId), \(found.run.status.rawValue)); waiting for its runner")
                    }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            await reader.close()
            guard let first else {
                let message =
                    "no runner recorded the cancellation within \(timeout): the request stays on \(topic), and the run is cancelled when a runner of its job takes its partition"
                try await audit("cancel", target: runId, outcome: .unanswered, message: message, cluster: cluster)
                throw ToolError(message)
            }
            return first
        }
        try await audit(
            "cancel", target: runId, outcome: outcome.hasPrefix("cancelled") ? .ok : .refused, message: outcome,
            details: reason.map { ["reason": .string($0)] }, cluster: cluster)
        print(outcome)
    }
}

extension RunRecord.Status: ExpressibleByArgument {}
