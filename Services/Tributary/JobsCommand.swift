import ArgumentParser
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
            var rows: [[String]] = []
            for key in table.keys.sorted() {
                guard let declaration = try? TriggerDeclaration(record: WireRecord(key: Array(key.utf8), value: table[key])) else {
                    note("skipping \(key): not a trigger declaration")
                    continue
                }
                if output.json {
                    print((try? JSON(parsing: table[key]!))?.jsonString ?? "{}")
                    continue
                }
                rows.append([
                    declaration.jobId, declaration.version, declaration.source?.key ?? declaration.eventSource,
                    declaration.events.joined(separator: ","),
                ])
            }
            if !output.json {
                if rows.isEmpty { note("no jobs declared yet: start a runner") }
                printTable(["JOB", "VERSION", "SOURCE", "EVENTS"], rows)
            }
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
