import ArgumentParser
import Foundation
import Kafka
import ServiceSupport
import Tributary

/// `tributary jobs`: the jobs runners declared on `<p>.triggers`; `jobs rm` removes one.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Show the jobs runners declared, or remove one.",
        subcommands: [List.self, Remove.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List declared jobs (the default).")
        @OptionGroup var cluster: ClusterOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let table = try await readTable(cluster.topics.triggers.name, configuration: try cluster.kafka())
            let directory = JobDirectory(snapshot: table, now: Date())
            var rows: [[String]] = []
            for key in table.keys.sorted() where !RunnerPresence.isPresenceKey(key) {
                guard let declaration = try? TriggerDeclaration(record: WireRecord(key: Array(key.utf8), value: table[key])) else {
                    note("skipping \(key): not a trigger declaration")
                    continue
                }
                if output.json {
                    print((try? JSON(parsing: table[key]!))?.jsonString ?? "{}")
                    continue
                }
                rows.append([
                    declaration.jobId, declaration.version, Self.live(declaration.jobId, directory),
                    declaration.startPosition?.description ?? "-", declaration.source?.key ?? declaration.eventSource,
                    declaration.events.joined(separator: ","),
                ])
            }
            if !output.json {
                if rows.isEmpty { note("no jobs declared yet: start a runner") }
                printTable(["JOB", "DECLARED", "LIVE", "START", "SOURCE", "EVENTS"], rows)
            }
        }

        /// The live runners of a job by version: `1.1 ×2 (consuming), 1.0 ×1 (idle)`, or `none`.
        static func live(_ jobId: String, _ directory: JobDirectory) -> String {
            var byVersion: [String: (runners: Int, active: Int)] = [:]
            for presence in directory.live {
                for hosted in presence.jobs where hosted.jobId == jobId {
                    byVersion[hosted.version, default: (0, 0)].runners += 1
                    if hosted.active { byVersion[hosted.version, default: (0, 0)].active += 1 }
                }
            }
            guard !byVersion.isEmpty else { return "none" }
            return byVersion.sorted { JobVersion.compare($0.key, $1.key) > 0 }.map { version, count in
                "\(version) ×\(count.runners) (\(count.active == count.runners ? "consuming" : count.active == 0 ? "idle" : "\(count.active) consuming"))"
            }.joined(separator: ", ")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Remove a job's declaration: the registrar drops its events from the provider's subscription.",
            discussion: "A runner that still hosts the job declares it again when it starts.")
        @OptionGroup var cluster: ClusterOptions
        @Argument(help: "The job id.") var job: String

        func run() async throws {
            let configuration = try cluster.kafka()
            let topic = cluster.topics.triggers.name
            guard try await readTable(topic, configuration: configuration)[job] != nil else {
                throw ToolError("no job \(job) is declared on \(topic)")
            }
            let producer = try KafkaProducer(configuration: configuration, logger: toolLogger())
            try await producer.send(KafkaProducerMessage(topic: topic, key: job, value: nil))
            await producer.shutdown()
            print("removed \(job)")
        }
    }
}
