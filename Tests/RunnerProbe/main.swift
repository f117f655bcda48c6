// A runner in its own process, for the runner tests: test jobs whose side effects are appended to a
// sink file, so a test can count them across processes, kill the runner and start another.
//
//   RunnerProbe <bootstrap> <topic-prefix> <sink-file> <name> <gate-file> [option=value …]
//
// Options: `jobs=a,b,…` (default: probe-two-step,probe-count-a,probe-count-b), `x-version=V` (default 1),
// `x-kinds=a,b` (the kinds probe-x's filter takes; default all), `start=latest|earliest` (default earliest),
// `group=G` (RUNNER_GROUP), `window=SECONDS` (dedup window), `tick-catchup=N` (probe-tick's catchUp, default 1).
//
// Jobs (events of source `probe.test`):
//   `probe-two-step` on `two.step`: task `first` appends `first <name> <event id>`; task `second`
//     appends `second-start <name> <event id>`, waits until <gate-file> exists, appends `second-done …`.
//   `probe-count-a`, `probe-count-b` on `count`: append `count <job> <name> <event id>` (ordered / concurrent).
//   `probe-tick` on `interval(1 s)`: appends `tick <name> <scheduled time> <catch-up true|false> <run id>`.
//   `probe-wait` on `wait.step`: task `before` appends `before <name> <event id>`, then `io.wait` 2 s (the
//     run is suspended), then appends `after <name> <event id>`.
//   `probe-conc` on `conc`: flow control concurrency 1 per `payload.key`; sleeps 150 ms (its run records'
//     start and end times show whether two runs of a key overlapped).
//   `probe-x`, `probe-y` on `mix`: append `run <job> <version> <name> <event id>`; probe-x only for the
//     payload kinds of `x-kinds`.
// Prints `assigned <p,p,…>` whenever the partitions held by every consuming job change, `assigned-job <job>
// <p,p,…>` when one job's change, `consuming <job>`
// / `idle <job>` when a job starts or stops consuming. SIGTERM drains and leaves.
import Foundation
import TributaryKafka
import Logging
import ServiceLifecycle
import Tributary
import TributaryRunner

/// Appends one line to the sink in a single write (O_APPEND: lines of several processes do not mix).
func sink(_ path: String, _ line: String) {
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
    guard fd >= 0 else { return }
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

let arguments = CommandLine.arguments
guard arguments.count >= 6 else {
    FileHandle.standardError.write(Data("usage: RunnerProbe bootstrap prefix sink name gate [option=value …]\n".utf8))
    exit(2)
}
let (bootstrap, prefix, sinkPath, name, gatePath) = (arguments[1], arguments[2], arguments[3], arguments[4], arguments[5])
var options: [String: String] = [:]
for argument in arguments.dropFirst(6) {
    let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
    if parts.count == 2 { options[parts[0]] = parts[1] }
}

let twoStep = Job(
    id: "probe-two-step", name: "Two steps", version: "1",
    trigger: Trigger(event: EventSpecification<JSON>(name: "two.step", title: "Two steps", source: "probe.test"))
) { _, io, ctx in
    let _: String = try await io.runTask("first") {
        sink(sinkPath, "first \(name) \(ctx.event.id)")
        return "done"
    }
    let _: String = try await io.runTask("second") {
        sink(sinkPath, "second-start \(name) \(ctx.event.id)")
        while !FileManager.default.fileExists(atPath: gatePath) { try await Task.sleep(for: .milliseconds(20)) }
        sink(sinkPath, "second-done \(name) \(ctx.event.id)")
        return "done"
    }
}

let pauseSeconds = Int64(options["pause"] ?? "") ?? 2
let waiter = Job(
    id: "probe-wait", name: "Wait", version: "1",
    trigger: Trigger(event: EventSpecification<JSON>(name: "wait.step", title: "Wait", source: "probe.test"))
) { _, io, ctx in
    let _: String = try await io.runTask("before") {
        sink(sinkPath, "before \(name) \(ctx.event.id)")
        return "done"
    }
    try await io.wait("pause", for: .seconds(pauseSeconds))
    sink(sinkPath, "after \(name) \(ctx.event.id)")
}

let concurrent = Job(
    id: "probe-conc", name: "Concurrency 1 per key", version: "1",
    trigger: Trigger(event: EventSpecification<JSON>(name: "conc", title: "Concurrency", source: "probe.test")),
    flow: FlowControl(key: .payload("key"), concurrency: 1)
) { payload, _, ctx in
    sink(sinkPath, "conc \(name) \(payload["key"]?.stringValue ?? "?") \(ctx.event.id)")
    try await Task.sleep(for: .milliseconds(150))
}

func counter(_ id: String) -> Job<JSON> {
    Job(
        id: id, name: id, version: "1",
        trigger: Trigger(event: EventSpecification<JSON>(name: "count", title: "Count", source: "probe.test"))
    ) { _, _, ctx in
        sink(sinkPath, "count \(id) \(name) \(ctx.event.id)")
    }
}

func mixed(_ id: String, version: String, kinds: [String]?) -> Job<JSON> {
    var filter = EventFilter.all
    if let kinds { filter = EventFilter(["kind": .array(kinds.map { .string($0) })]) }
    return Job(
        id: id, name: id, version: version,
        trigger: Trigger(event: EventSpecification<JSON>(name: "mix", title: "Mixed", source: "probe.test"), filter: filter)
    ) { _, _, ctx in
        sink(sinkPath, "run \(id) \(version) \(name) \(ctx.event.id)")
    }
}

let tick = Job(
    id: "probe-tick", name: "Every second", version: "1",
    trigger: .interval(.seconds(1), catchUp: Int(options["tick-catchup"] ?? "") ?? 1)
) { tick, _, ctx in
    sink(sinkPath, "tick \(name) \(RFC3339.string(from: tick.scheduledAt)) \(tick.isCatchUp) \(ctx.runId)")
}

let available: [String: RunnerJob] = [
    "probe-tick": RunnerJob(tick),
    "probe-two-step": RunnerJob(twoStep),
    "probe-wait": RunnerJob(waiter),
    "probe-conc": RunnerJob(concurrent),
    "probe-count-a": RunnerJob(counter("probe-count-a")),
    "probe-count-b": RunnerJob(counter("probe-count-b"), concurrentRuns: true),
    "probe-x": RunnerJob(
        mixed(
            "probe-x", version: options["x-version"] ?? "1",
            kinds: options["x-kinds"].map { $0.split(separator: ",").map(String.init) })),
    "probe-y": RunnerJob(mixed("probe-y", version: "1", kinds: nil)),
]
let chosen = (options["jobs"] ?? "probe-two-step,probe-count-a,probe-count-b").split(separator: ",").map(String.init)
let jobs = chosen.compactMap { available[$0] }
guard jobs.count == chosen.count else {
    FileHandle.standardError.write(Data("unknown job in \(chosen); known: \(available.keys.sorted())\n".utf8))
    exit(2)
}

var logger = Logger(label: "probe.\(name)")
logger.logLevel = options["log"].flatMap { Logger.Level(rawValue: $0) } ?? .notice
let configuration = RunnerConfiguration(
    kafka: KafkaConfiguration(bootstrapServers: bootstrap), topicPrefix: prefix,
    groupID: options["group"], adminPort: 0, adminHost: "127.0.0.1", drainTimeout: .seconds(5),
    sessionTimeout: .seconds(6), printRunLogs: false,
    dedupWindow: .seconds(Int64(options["window"] ?? "") ?? 7 * 86_400),
    presenceInterval: .milliseconds(300),
    defaultStartPosition: StartPosition(options["start"] ?? "earliest") ?? .earliest)
let application = try buildRunner(configuration: configuration, jobs: jobs, logger: logger)

let watcher = Task {
    var last: Set<Int32>? = nil
    var consuming: [String: Bool] = [:]
    var held: [String: Set<Int32>] = [:]
    while !Task.isCancelled {
        let now = Set(application.runner.assignedPartitions.map(\.partition))
        if now != last {
            emit("assigned \(now.sorted().map(String.init).joined(separator: ","))")
            last = now
        }
        for job in chosen {
            let partitions = Set(application.runner.assignedPartitions(job: job).map(\.partition))
            if held[job] != partitions {
                emit("assigned-job \(job) \(partitions.sorted().map(String.init).joined(separator: ","))")
                held[job] = partitions
            }
            let state = application.runner.isConsuming(job: job) && !application.runner.assignedPartitions(job: job).isEmpty
            if consuming[job] != state {
                emit("\(state ? "consuming" : "idle") \(job)")
                consuming[job] = state
            }
        }
        try? await Task.sleep(for: .milliseconds(50))
    }
}
try await ServiceGroup(services: application.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
watcher.cancel()
await watcher.value  // a line it is printing now comes before `stopped`, which stays the last
emit("stopped")
