import ArgumentParser
import Foundation
import TributaryKafka
import ServiceSupport
import Tributary

/// `tributary replay`: runs a failed run again, from its dead letter.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay dead-lettered runs: the event is published again for the failed job only.",
        discussion: """
            `replay --run ID` replays one run; `replay --dlq` lists the dead letters; `replay --dlq --all` replays them all. \
            A replay is a new run (a new event id, `<id>.replay-<ms>`); jobs that succeeded on the original event do not run again.
            """)
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "The run id to replay (from `tributary runs`).") var run: String?
    @Flag(help: "Work on the dead letters of <p>.dlq.") var dlq = false
    @Flag(help: "With --dlq: replay every dead letter (not those of earlier replays, unless --include-replays).") var all = false
    @Flag(help: "With --dlq --all: replay the dead letters of earlier replays too.") var includeReplays = false

    func validate() throws {
        guard (run != nil) != dlq else { throw ValidationError("give --run ID or --dlq") }
        guard !all || dlq else { throw ValidationError("--all goes with --dlq") }
        guard !includeReplays || all else { throw ValidationError("--include-replays goes with --dlq --all") }
    }

    func run() async throws {
        let configuration = try await cluster.kafka()
        let topics = cluster.topics
        let letters = try await Replay.deadLetters(configuration: configuration, topic: topics.deadLetters.name, logger: toolLogger())
        if dlq && !all {
            if output.json {
                for letter in letters {
                    print(
                        JSON.object([
                            "key": .string(letter.original.keyString ?? ""), "jobId": letter.jobId.map(JSON.string) ?? .null,
                            "runId": letter.runId.map(JSON.string) ?? .null, "attempts": .number(Double(letter.attempts)),
                            "failedAt": .string(RFC3339.string(from: letter.failedAt)), "reason": .string(letter.reason),
                            "replayOf": letter.original.headerString(Replay.originalHeader).map(JSON.string) ?? .null,
                        ]).jsonString)
                }
                return
            }
            printTable(
                ["EVENT", "JOB", "RUN", "ATTEMPTS", "FAILED AT", "REPLAY OF", "REASON"],
                letters.map {
                    [
                        $0.original.keyString ?? "-", $0.jobId ?? "-", $0.runId ?? "-", "\($0.attempts)", RFC3339.string(from: $0.failedAt),
                        $0.original.headerString(Replay.originalHeader) ?? "-", $0.reason,
                    ]
                })
            note(letters.isEmpty ? "no dead letters" : "replay one with --run ID, or all with --dlq --all")
            return
        }
        if all && letters.isEmpty {
            print("no dead letters on \(topics.deadLetters.name): nothing to replay")
            return
        }
        let replays = all && !includeReplays ? letters.filter(Replay.isReplay) : []
        let chosen = all ? letters.filter { includeReplays || !Replay.isReplay($0) } : letters.filter { $0.runId == run }
        if !replays.isEmpty {
            note("skipped \(replays.count) dead letter(s) of earlier replays (--include-replays replays them too)")
        }
        if all && chosen.isEmpty {
            print("no dead letters to replay on \(topics.deadLetters.name) but those of earlier replays")
            return
        }
        guard !chosen.isEmpty else {
            throw ToolError("no dead letter for run \(run ?? "?") on \(topics.deadLetters.name): only dead-lettered runs can be replayed")
        }
        let producer = try KafkaProducer(configuration: configuration, logger: toolLogger())
        var replayed = 0
        for letter in chosen {
            do {
                let record = try Replay.record(for: letter)
                let report = try await producer.send(KafkaProducerMessage(topic: topics.events.name, record: record))
                print(
                    "replayed \(letter.runId ?? "?") (\(letter.jobId ?? "?")) as \(record.keyString ?? "?") -> \(report.topic)[\(report.partition)]@\(report.offset)"
                )
                replayed += 1
                try await audit(
                    "replay", target: letter.runId ?? letter.original.keyString ?? "?", outcome: .ok,
                    message: "replayed \(letter.original.keyString ?? "?") for \(letter.jobId ?? "?") as \(record.keyString ?? "?")",
                    details: ["event": .string(letter.original.keyString ?? ""), "replay": .string(record.keyString ?? "")],
                    cluster: cluster)
            } catch let refusal as Replay.Refusal {
                note("skipped \(letter.original.keyString ?? "?"): \(refusal)")
                try await audit(
                    "replay", target: letter.runId ?? letter.original.keyString ?? "?", outcome: .refused, message: "\(refusal)",
                    cluster: cluster)
            }
        }
        await producer.shutdown()
        if replayed == 0 { throw ToolError("nothing was replayed") }
    }
}
