import ArgumentParser
import Foundation
import TributaryKafka
import ServiceSupport
import Tributary

/// `tributary jobs`: the jobs runners declared on `<p>.triggers`; `jobs rm` removes one.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Show the jobs runners declared, remove one, or rewind one.",
        subcommands: [List.self, Remove.self, Rewind.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List declared jobs (the default).")
        @OptionGroup var cluster: ClusterOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let kafka = try await cluster.kafka()
            let table = try await readTable(cluster.topics.triggers.name, configuration: kafka)
            let now = Date()
            let directory = JobDirectory(snapshot: table, now: now)
            let scheduled = directory.declarations.values.contains { $0.schedule != nil }
            let schedules = scheduled ? try await readTable(cluster.topics.schedules.name, configuration: kafka) : [:]
            var rows: [[String]] = []
            for key in table.keys.sorted() where !RunnerPresence.isPresenceKey(key) {
                guard let declaration = try? TriggerDeclaration(record: WireRecord(key: Array(key.utf8), value: table[key])) else {
                    note("skipping \(key): not a trigger declaration")
                    continue
                }
                let record = schedules[key].flatMap { try? ScheduleRecord(record: WireRecord(key: Array(key.utf8), value: $0)) }
                let next = Self.nextTick(declaration, record: record, now: now)
                if output.json {
                    var json = (try? JSON(parsing: table[key]!)) ?? .object([:])
                    if let next, case .object(var members) = json {
                        members["nextTick"] = .string(RFC3339.string(from: next))
                        json = .object(members)
                    }
                    print(json.jsonString)
                    continue
                }
                rows.append([
                    declaration.jobId, declaration.version, Self.live(declaration.jobId, directory),
                    declaration.startPosition?.description ?? "-", declaration.source?.key ?? declaration.eventSource,
                    declaration.events.joined(separator: ","), declaration.schedule?.description ?? "-",
                    next.map { RFC3339.string(from: $0) } ?? "-",
                ])
            }
            if !output.json {
                if rows.isEmpty { note("no jobs declared yet: start a runner") }
                printTable(["JOB", "DECLARED", "LIVE", "START", "SOURCE", "EVENTS", "SCHEDULE", "NEXT TICK"], rows)
            }
        }

        /// A scheduled job's next tick: the first after now, its last emitted tick and its first declaration.
        static func nextTick(_ declaration: TriggerDeclaration, record: ScheduleRecord?, now: Date) -> Date? {
            guard let schedule = declaration.schedule else { return nil }
            var after = now
            if let last = record?.lastScheduledAt, last > after { after = last }
            if let first = declaration.firstDeclaredAt, first > after { after = first }
            return schedule.next(after: after)
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
            let configuration = try await cluster.kafka()
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

    struct Rewind: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rewind",
            abstract: "Re-deliver a job's events from a time on (the runners that consume it apply the command).",
            discussion: """
                Runs that finished within the runners' dedup window (RUNNER_DEDUP_WINDOW, 7 days by default) are \
                skipped again; older ones, and events that never ran, run again. TIME is an RFC 3339 time or a \
                duration ago (30m, 2h, 3d).
                """)
        @OptionGroup var cluster: ClusterOptions
        @Argument(help: "The job id.") var job: String
        @Option(name: .customLong("to"), help: "From when: an RFC 3339 time, or a duration ago (30m, 2h, 3d).") var time: String
        @Option(help: "How long to wait for the runners' answers, in seconds.") var timeout: Double = 5

        func run() async throws {
            guard
                let from = RFC3339.date(from: time)
                    ?? ServiceEnvironment.parseDuration(time).map({ Date().addingTimeInterval(-$0.seconds) })
            else { throw ToolError("--to \(time) is neither an RFC 3339 time nor a duration (30m, 2h, 3d)") }
            let configuration = try await cluster.kafka()
            let table = try await readTable(cluster.topics.triggers.name, configuration: configuration)
            let directory = JobDirectory(snapshot: table, now: Date())
            let consuming = directory.live.filter { $0.jobs.contains { $0.jobId == job && $0.active } }
            guard !consuming.isEmpty else {
                throw ToolError("no live runner consumes \(job): nothing would apply the rewind (tributary jobs lists the live versions)")
            }
            let partitions =
                try await KafkaAdmin(configuration: configuration, logger: toolLogger()).listTopics()
                .first { $0.name == cluster.topics.events.name }?.partitions.count ?? 0
            note(
                "rewinding \(job) to \(RFC3339.string(from: from)): its events from then on are delivered again; runs that "
                    + "finished within the dedup window (RUNNER_DEDUP_WINDOW, 7 days by default) are skipped, older ones run again")
            let client = try CommandClient(configuration: configuration, topics: cluster.topics, logger: toolLogger())
            defer { Task { await client.shutdown() } }
            let command = CommandRecord.rewind(job: job, to: from, issuedBy: CommandClient.issuer())
            let results = try await client.sendCollecting(command, timeout: Duration(seconds: timeout)) { results in
                Self.partitions(results).count >= partitions
            }
            for result in results { print("\(result.ok ? "ok" : "failed")  \(result.by): \(result.message)") }
            let covered = Self.partitions(results)
            let details: JSON = [
                "to": .string(RFC3339.string(from: from)), "partitions": .array(covered.sorted().map { .number(Double($0)) }),
            ]
            if results.contains(where: { !$0.ok }) {
                let failures = results.filter { !$0.ok }.map { "\($0.by): \($0.message)" }.joined(separator: "; ")
                try await audit(
                    "rewind", target: job, outcome: .failed, message: failures, commandId: command.id, details: details, cluster: cluster)
                throw ToolError("a runner could not rewind \(job)")
            }
            if covered.count < partitions {
                let missing = Set(0..<partitions).subtracting(covered).sorted()
                let message =
                    "no runner answered for partitions \(missing.map(String.init).joined(separator: ",")) of \(job) within \(timeout) s"
                try await audit(
                    "rewind", target: job, outcome: results.isEmpty ? .unanswered : .failed, message: message, commandId: command.id,
                    details: details, cluster: cluster)
                throw ToolError(message)
            }
            try await audit(
                "rewind", target: job, outcome: .ok,
                message: "rewound \(job) to \(RFC3339.string(from: from)) on \(covered.count) partitions",
                commandId: command.id, details: details, cluster: cluster)
        }

        /// The partitions the results say were rewound.
        static func partitions(_ results: [CommandResult]) -> Set<Int> {
            Set(
                results.flatMap { result -> [Int] in
                    guard case .array(let values)? = result.details?["partitions"] else { return [] }
                    return values.compactMap { $0.numberValue.map { Int($0) } }
                })
        }
    }
}
