import ArgumentParser
import Foundation
import TributaryKafka
import ServiceSupport
import Tributary

/// `tributary runs`: the runs recorded on `<p>.runs` (latest state of each), optionally following new ones.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "Show job runs: status, attempt, error; --follow keeps printing changes.")
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Only runs of this job.") var job: String?
    @Option(help: "Only runs with this status: started, succeeded or failed.") var status: RunRecord.Status?
    @Flag(help: "Keep printing runs as they change.") var follow = false
    @Flag(help: "With the table, also print each run's log lines.") var logs = false

    func run() async throws {
        let reader = try KafkaTopicReader(configuration: try cluster.kafka(), topic: cluster.topics.runs.name, logger: toolLogger())
        var latest: [String: (run: RunRecord, raw: [UInt8])] = [:]
        var caughtUp = false
        for await event in reader {
            switch event {
            case .message(let message):
                guard let value = message.value, let run = try? RunRecord(record: WireRecord(key: message.key, value: value)) else {
                    continue  // other records on the topic (e.g. task records) or tombstones
                }
                latest[run.runId] = (run, value)
                if caughtUp, selected(run) { emit([(run, value)]) }
            case .caughtUp:
                caughtUp = true
                let runs = latest.values.filter { selected($0.run) }.sorted { $0.run.startedAt < $1.run.startedAt }
                if runs.isEmpty && !output.json {
                    note("no runs\(job.map { " of \($0)" } ?? "")\(status.map { " with status \($0.rawValue)" } ?? "")")
                }
                emit(runs, header: true)
                if !follow {
                    await reader.close()
                    return
                }
            }
        }
    }

    private func selected(_ run: RunRecord) -> Bool {
        (job == nil || run.jobId == job) && (status == nil || run.status == status)
    }

    private func emit(_ entries: [(run: RunRecord, raw: [UInt8])], header: Bool = false) {
        if output.json {
            // The record exactly as stored on the topic: one JSON object per line.
            for entry in entries { print(String(decoding: entry.raw, as: UTF8.self)) }
            return
        }
        let runs = entries.map(\.run)
        let rows = runs.map { run in
            [
                run.runId, run.jobId, run.eventKey, run.status.rawValue, "\(run.attempt)",
                RFC3339.string(from: run.finishedAt ?? run.startedAt), run.error ?? "-",
            ]
        }
        if header {
            printTable(["RUN", "JOB", "EVENT", "STATUS", "ATTEMPT", "UPDATED", "ERROR"], rows)
        } else {
            for row in rows { print(row.joined(separator: "  ")) }
        }
        if logs {
            for run in runs {
                for line in run.logs { print("  \(run.runId) \(line.level) \(line.message)") }
            }
        }
    }
}

extension RunRecord.Status: ExpressibleByArgument {}
