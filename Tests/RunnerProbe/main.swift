// A runner in its own process, for the runner tests: test jobs whose side effects are appended to a
// sink file, so a test can count them across processes, kill the runner and start another.
//
//   RunnerProbe <bootstrap> <topic-prefix> <sink-file> <name> <gate-file>
//
// Jobs (events of source `probe.test`):
//   `probe-two-step` on `two.step`: task `first` appends `first <name> <event id>`; task `second`
//     appends `second-start <name> <event id>`, waits until <gate-file> exists, appends `second-done …`.
//   `probe-count-a`, `probe-count-b` on `count`: append `count <job> <name> <event id>` (ordered / concurrent).
// Prints `assigned <p,p,…>` whenever the partitions it holds change. SIGTERM drains and leaves.
import Foundation
import Kafka
import Logging
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
    FileHandle.standardError.write(Data("usage: RunnerProbe bootstrap prefix sink name gate\n".utf8))
    exit(2)
}
let (bootstrap, prefix, sinkPath, name, gatePath) = (arguments[1], arguments[2], arguments[3], arguments[4], arguments[5])

let twoStep = Job(id: "probe-two-step", name: "Two steps", version: "1",
                  trigger: Trigger(event: EventSpecification<JSON>(name: "two.step", title: "Two steps", source: "probe.test"))) { _, io, ctx in
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

func counter(_ id: String) -> Job<JSON> {
    Job(id: id, name: id, version: "1",
        trigger: Trigger(event: EventSpecification<JSON>(name: "count", title: "Count", source: "probe.test"))) { _, _, ctx in
        sink(sinkPath, "count \(id) \(name) \(ctx.event.id)")
    }
}

var logger = Logger(label: "probe.\(name)")
logger.logLevel = .notice
var configuration = RunnerConfiguration(kafka: KafkaConfiguration(bootstrapServers: bootstrap), topicPrefix: prefix,
                                        adminPort: 0, adminHost: "127.0.0.1", drainTimeout: .seconds(5),
                                        sessionTimeout: .seconds(6), printRunLogs: false)
let application = try buildRunner(configuration: configuration, jobs: [
    RunnerJob(twoStep),
    RunnerJob(counter("probe-count-a")),
    RunnerJob(counter("probe-count-b"), concurrentRuns: true),
], logger: logger)

let watcher = Task {
    var last: Set<Int32>? = nil
    while !Task.isCancelled {
        let now = Set(application.runner.assignedPartitions.map(\.partition))
        if now != last {
            emit("assigned \(now.sorted().map(String.init).joined(separator: ","))")
            last = now
        }
        try? await Task.sleep(for: .milliseconds(50))
    }
}
try await application.run()
watcher.cancel()
emit("stopped")
