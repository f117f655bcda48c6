import ExampleJobs
import Foundation
import ServiceSupport
import Synchronization
import Testing
import Tributary
import TributaryKafka
import TributaryRunner

/// The built `tributary` tool where it used to leave a user guessing: an unreachable cluster, an
/// unknown event name, replays of replays and an empty dead-letter topic, one run in full, logs
/// while following.
@Suite("The tool's errors, replays and run details", .serialized, .tags(.processes), .notInFastRun)
struct ToolErrorTests {
    /// Runs `tributary <arguments>` with `KAFKA_BROKERS=brokers` and waits for it to exit.
    static func tool(
        brokers: String, _ arguments: [String], timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32, output: [String], errors: [String], elapsed: Duration) {
        var environment = ProcessInfo.processInfo.environment
        environment["KAFKA_BROKERS"] = brokers
        environment["TRIBUTARY_TOPIC_PREFIX"] = "t"
        let started = ContinuousClock.now
        // Away from the checkout, where a `make dev` of the developer's may have left `.tributary/dev.env`.
        let child = try ChildProcess(
            productURL("tributary"), arguments, environment: environment, directory: FileManager.default.temporaryDirectory)
        try await eventually("tributary \(arguments.joined(separator: " ")) exits", timeout: timeout) { !child.isRunning }
        let observed = ContinuousClock.now - started
        try? await eventually("its output is read", timeout: .seconds(2)) {
            child.runTime != nil && !(child.lines + child.errorLines).isEmpty
        }
        // The process's own run time: under load this test's task can wait seconds for the pool
        // before it sees the exit, which is not the tool's time.
        return (child.exitCode, child.lines, child.errorLines, child.runTime ?? observed)
    }

    @Test("with Kafka unreachable every command fails within seconds, naming the brokers, and exits non-zero")
    func unreachableKafka() async throws {
        let closed = try ClosedPort()  // nothing listens there, nor can while the test runs
        defer { withExtendedLifetime(closed) {} }
        let brokers = "127.0.0.1:\(closed.port)"
        let commands: [[String]] = [
            ["runs"], ["runs", "--follow"], ["runs", "show", "run_x"], ["runs", "cancel", "run_x"], ["send", "price.created"],
            ["jobs"], ["jobs", "rm", "some-job"], ["sources"], ["replay", "--dlq"], ["replay", "--dlq", "--all"], ["topics", "list"],
        ]
        let results = try await withThrowingTaskGroup(of: (command: [String], status: Int32, errors: String, elapsed: Duration).self) {
            group in
            for command in commands {
                group.addTask {
                    let result = try await Self.tool(brokers: brokers, command, timeout: .seconds(40))
                    return (command, result.status, result.errors.joined(separator: "\n"), result.elapsed)
                }
            }
            var all: [(command: [String], status: Int32, errors: String, elapsed: Duration)] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(results.count == commands.count)
        let expected = "Error: cannot reach Kafka at \(brokers) (KAFKA_BROKERS)"
        for result in results {
            let name = result.command.joined(separator: " ")
            #expect(result.status != 0, "\(name) exited 0")
            #expect(result.errors.contains(expected), "\(name): \(result.errors)")
            // 4 s for the metadata request; the rest is starting 11 processes at once on a loaded machine.
            #expect(result.elapsed < .seconds(8), "\(name) took \(result.elapsed)")
        }
        // --brokers names itself as the origin.
        let flagged = try await Self.tool(brokers: "", ["jobs", "--brokers", brokers], timeout: .seconds(40))
        let flaggedErrors = flagged.errors.joined()
        #expect(flagged.status != 0)
        #expect(flaggedErrors.contains("cannot reach Kafka at \(brokers) (--brokers)"), "\(flaggedErrors)")
    }

    @Test("send: an unknown event name fails with the closest names, not a list of all of them")
    func sendSuggestsClosestNames() async throws {
        let brokers = "127.0.0.1:\(try freePort())"
        let typo = try await Self.tool(brokers: brokers, ["send", "price.craeted"])
        let errors = typo.errors.joined(separator: "\n")
        #expect(typo.status != 0)
        #expect(errors.contains("no event specification for price.craeted; did you mean price.created"), "\(errors)")
        #expect(!errors.contains("invoice.paid"), "only close names: \(errors)")
        #expect(!errors.contains("cannot reach Kafka"), "the name is checked before the cluster")

        let order = try await Self.tool(brokers: brokers, ["send", "order.plced"])
        let orderErrors = order.errors.joined(separator: "\n")
        #expect(order.status != 0)
        #expect(orderErrors.contains("did you mean order.placed"), "\(orderErrors)")

        let wrongSource = try await Self.tool(brokers: brokers, ["send", "price.created", "--source", "nowhere.example"])
        let wrongSourceErrors = wrongSource.errors.joined(separator: "\n")
        #expect(wrongSource.status != 0)
        #expect(wrongSourceErrors.contains("no event specification from nowhere.example; sources: "), "\(wrongSourceErrors)")

        let nothingClose = try await Self.tool(brokers: brokers, ["send", "zzzzzzzzzz"])
        let nothingCloseErrors = nothingClose.errors.joined(separator: "\n")
        #expect(nothingClose.status != 0)
        #expect(nothingCloseErrors.contains("give --source and --payload"), "\(nothingCloseErrors)")
    }

    @Test("send publishes every event of every example job (provider, Standard Webhooks and custom events)")
    func sendEveryExampleJobsEvent() async throws {
        try await withTributaryCluster { cluster, topics in
            let events = try TopicCollector(cluster.configuration, topic: topics.events.name)
            var sent: [(name: String, source: String)] = []
            for job in ExampleJobs.all {
                let declaration = try job.job.declaration()
                guard declaration.schedule == nil else { continue }  // ticks come from the registrar
                for name in declaration.events {
                    let result = try await Self.tool(
                        brokers: cluster.bootstrapServers, ["send", name, "--source", declaration.eventSource])
                    let errors = result.errors.joined(separator: "\n")
                    #expect(result.status == 0, "send \(name) for \(job.id): \(errors)")
                    sent.append((name, declaration.eventSource))
                }
            }
            #expect(sent.count >= 4, "\(sent)")
            try await eventually("every event is on <p>.events") { events.all.count >= sent.count }
            let published = events.all.compactMap { try? CloudEvent.decode(WireRecord($0)) }
            for (name, source) in sent {
                let found = published.contains { $0.name == name && $0.source == source }
                #expect(found, "\(name) from \(source)")
            }
            await events.close()
        }
    }

    @Test("replay --dlq --all replays no replay unless --include-replays; an empty DLQ says no dead letters; runs show and --follow --logs")
    func replayOfReplaysRunsShowAndFollowLogs() async throws {
        try await withTributaryCluster { cluster, topics in
            let brokers = cluster.bootstrapServers
            let empty = try await Self.tool(brokers: brokers, ["replay", "--dlq", "--all"])
            #expect(empty.status == 0, "\(empty.errors)")
            #expect(empty.output.joined().contains("no dead letters"), "\(empty)")

            let attempts = Mutex(0)
            let broken = Job(id: "broken", name: "Broken", version: "1", trigger: Trigger(event: Shop.orderPlaced)) { order, io, _ in
                let attempt = attempts.withLock { count -> Int in
                    count += 1
                    return count
                }
                io.logger.info("trying", metadata: ["order": "\(order.id)", "n": "\(attempt)"])
                throw Boom()
            }
            let twice = RetryOptions(limit: 2, factor: 1, minTimeout: .milliseconds(10), randomize: false)
            let runner = try RunningRunner(cluster.configuration, jobs: [RunnerJob(broken, retry: twice)])
            try await runner.waitUntilAssigned(4)

            // Following with logs from before the event: each log line is printed once, as it arrives.
            var environment = ProcessInfo.processInfo.environment
            environment["KAFKA_BROKERS"] = brokers
            environment["TRIBUTARY_TOPIC_PREFIX"] = "t"
            let follow = try ChildProcess(productURL("tributary"), ["runs", "--follow", "--logs"], environment: environment)
            defer { follow.terminate() }
            try await eventually("runs --follow caught up", timeout: .seconds(30)) {
                follow.errorLines.contains { $0.contains("no runs") }
            }

            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            try await publisher.send(Shop.order("o1", total: 5))
            let letters = try await ReplayTests.waitForDeadLetters(cluster.configuration, topics.deadLetters.name, count: 1)
            let runId = try #require(letters.first?.runId)
            try await eventually("--follow --logs printed both attempts' log lines", timeout: .seconds(30)) {
                follow.lines.filter { $0.contains("trying") && $0.contains(runId) }.count >= 2
            }
            try await eventually("--follow printed the dead-lettered run", timeout: .seconds(30)) {
                follow.lines.contains { $0.contains(runId) && $0.contains("dead-lettered") }
            }
            let followedLogs = follow.lines.filter { $0.contains("trying") && $0.contains(runId) }
            #expect(followedLogs.count == 2, "each line once: \(followedLogs)")

            // runs show: status, payload, every attempt with its logs.
            let shown = try await Self.tool(brokers: brokers, ["runs", "show", runId])
            let text = shown.output.joined(separator: "\n")
            #expect(shown.status == 0, "\(shown.errors)")
            #expect(text.contains("status    dead-lettered"), "\(text)")
            let payloadShown = shown.output.contains { $0.contains("\"id\"") && $0.contains("\"o1\"") }
            #expect(payloadShown, "the payload: \(text)")
            let attemptLines = shown.output.filter { $0.hasPrefix("  1  ") || $0.hasPrefix("  2  ") }
            #expect(attemptLines.count == 2, "\(text)")
            let logLines = shown.output.filter { $0.contains(" info trying ") }
            #expect(logLines.count == 2, "\(text)")
            let bothAttempts = logLines.contains { $0.contains("n=1") } && logLines.contains { $0.contains("n=2") }
            #expect(bothAttempts, "\(text)")
            let json = try await Self.tool(brokers: brokers, ["runs", "show", runId, "--json"])
            let record = try RunRecord(record: WireRecord(key: nil, value: Array((json.output.first ?? "").utf8)))
            #expect(record.runId == runId)
            let unknown = try await Self.tool(brokers: brokers, ["runs", "show", "run_nope"])
            #expect(unknown.status != 0)
            #expect(unknown.errors.joined().contains("no run run_nope"), "\(unknown.errors)")

            // The first replay replays the one dead letter; it fails again: two dead letters.
            let first = try await Self.tool(brokers: brokers, ["replay", "--dlq", "--all"])
            #expect(first.status == 0, "\(first.errors)")
            let firstReplayed = first.output.filter { $0.hasPrefix("replayed ") }.count
            #expect(firstReplayed == 1, "\(first.output)")
            _ = try await ReplayTests.waitForDeadLetters(cluster.configuration, topics.deadLetters.name, count: 2)

            // The second replays the original only, not the replay's dead letter.
            let second = try await Self.tool(brokers: brokers, ["replay", "--dlq", "--all"])
            #expect(second.status == 0, "\(second.errors)")
            let secondReplayed = second.output.filter { $0.hasPrefix("replayed ") }.count
            #expect(secondReplayed == 1, "\(second.output)")
            #expect(second.errors.joined().contains("skipped 1 dead letter(s) of earlier replays"), "\(second.errors)")
            let three = try await ReplayTests.waitForDeadLetters(cluster.configuration, topics.deadLetters.name, count: 3)
            let replayLetters = three.filter(Replay.isReplay).count
            #expect(replayLetters == 2)

            // Asked to, it replays the replays too.
            let all = try await Self.tool(brokers: brokers, ["replay", "--dlq", "--all", "--include-replays"])
            #expect(all.status == 0, "\(all.errors)")
            let allReplayed = all.output.filter { $0.hasPrefix("replayed ") }.count
            #expect(allReplayed == 3, "\(all.output)")

            // The listing says which dead letters are replays.
            let listing = try await Self.tool(brokers: brokers, ["replay", "--dlq"])
            let header = listing.output.first ?? ""
            let replayRow = listing.output.contains { $0.contains("test.shop/o1.replay-") && $0.contains("test.shop/o1 ") }
            #expect(header.contains("REPLAY OF"), "\(listing.output)")
            #expect(replayRow, "\(listing.output)")

            // Each replay (1 + 1 + 3) is on the audit trail with the event it replayed and the new event.
            let audit = try await Self.tool(brokers: brokers, ["audit", "--json", "--action", "replay"])
            let entries = audit.output.compactMap { try? AuditRecord(record: WireRecord(key: nil, value: Array($0.utf8))) }
            #expect(entries.count == 5 && entries.allSatisfy { $0.outcome == .ok }, "\(audit.output) \(audit.errors)")
            #expect(entries.allSatisfy { $0.details?["replay"]?.stringValue?.contains(".replay-") == true })
            try await runner.stop()
        }
    }

    @Test("runs show of a waiting run: the wait, until when, what it waits for, its tasks with durations")
    func runsShowWaitingRun() async throws {
        try await withTributaryCluster { cluster, topics in
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let runner = try RunningRunner(cluster.configuration, jobs: ExampleJobs.all.filter { $0.id == "order-fulfilment" })
            try await runner.waitUntilAssigned(4)
            let placed = try await Self.tool(brokers: cluster.bootstrapServers, ["send", "order.placed"])
            #expect(placed.status == 0, "\(placed.errors)")
            try await eventually("the order waits") { runs.runs.contains { $0.status == .waiting } }
            let run = try #require(runs.runs.last { $0.status == .waiting })
            let shown = try await Self.tool(brokers: cluster.bootstrapServers, ["runs", "show", run.runId])
            let text = shown.output.joined(separator: "\n")
            #expect(shown.status == 0, "\(shown.errors)")
            #expect(text.contains("status    waiting"), "\(text)")
            let waits = shown.output.first { $0.hasPrefix("waits     ") } ?? ""
            let waitsForShipment = waits.contains(" until ") && waits.contains("for order.shipped from shop.example")
            #expect(waitsForShipment, "\(text)")
            let payloadShown = shown.output.contains { $0.contains("\"orderId\"") && $0.contains("\"ord_1001\"") }
            #expect(payloadShown, "the payload: \(text)")
            let tasks = shown.output.drop { $0 != "tasks" }.dropFirst()
            let reserved = tasks.contains { $0.contains("completed") }
            let waitTask = tasks.contains { $0.contains("pending") && $0.contains("wait") }
            #expect(reserved, "the stock reservation: \(text)")
            #expect(waitTask, "the wait's task: \(text)")
            try await runner.stop()
            await runs.close()
        }
    }

    @Test("dev names a port in use at once, and prints every port it listens on")
    func devPorts() async throws {
        let busy = try ListeningSocket()
        defer { busy.close() }
        let refused = try await Self.tool(brokers: "", ["dev", "--port", "\(busy.port)"], timeout: .seconds(30))
        let refusedErrors = refused.errors.joined(separator: "\n")
        #expect(refused.status != 0)
        #expect(refusedErrors.contains("port \(busy.port) is in use (the receiver, --port)"), "\(refusedErrors)")
        #expect(refused.elapsed < .seconds(5), "at once, not after a timeout: \(refused.elapsed)")

        let admin = try await Self.tool(
            brokers: "", ["dev", "--port", "\(try freePort())", "--registrar-admin-port", "\(busy.port)"], timeout: .seconds(30))
        let adminErrors = admin.errors.joined(separator: "\n")
        #expect(admin.status != 0)
        #expect(
            adminErrors.contains("port \(busy.port) is in use (the registrar's admin server, --registrar-admin-port)"), "\(adminErrors)")

        let port = try freePort()
        let runnerAdmin = try freePort()
        let dev = try ChildProcess(
            productURL("tributary"), ["dev", "--port", "\(port)", "--runner-admin-port", "\(runnerAdmin)", "--no-settings-file"],
            environment: ProcessInfo.processInfo.environment)
        defer { dev.terminate() }
        try await eventually("dev prints its banner", timeout: .seconds(90)) {
            dev.lines.contains { $0.contains("Registrar admin: http://localhost:") }
        }
        let banner = dev.lines.joined(separator: "\n")
        #expect(banner.contains("(listening on \(port))"), "\(banner)")
        #expect(banner.contains("Runner admin: http://localhost:\(runnerAdmin)/healthz"), "\(banner)")
        let registrarLine = dev.lines.first { $0.contains("Registrar admin: http://localhost:") } ?? ""
        let registrarPort = registrarLine.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) }
        #expect(registrarPort != nil && registrarPort != 0, "\(registrarLine)")
    }
}

/// A socket listening on a loopback port, to make that port busy.
final class ListeningSocket: @unchecked Sendable {
    struct Failure: Error { var errno: Int32 }
    let fd: Int32
    let port: Int

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = fd
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0, listen(fd, 1) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw Failure(errno: errno) }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Foundation.close(fd) }
}
