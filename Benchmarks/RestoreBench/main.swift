// The restore benchmark (Benchmarks/restore-bench.sh runs it): the records of one `<p>.runs`
// partition, built in memory as `RunRecord.record()` writes them, fed to the restore code directly
// (the embedded broker keeps only ~5 MB per partition, far less than a million run records).
//
//   RestoreBench [records] [repetitions] [fold]     (1,000,000 and 3 by default; `fold`: skip the old
//                                                   restore, e.g. under `perf record -g`)
//
// Prints one line per figure:
//   records  what was built (mix, bytes) before anything is measured;
//   raw      the ceiling: every record's key and header bytes touched, nothing decoded or kept;
//   fold     RunHistoryFold.apply over every record, then takeExpired (what RunHistory.rebuild does
//            per partition), with the memory it holds: RSS after minus RSS before (/proc/self/statm)
//            and heap in use after minus before (mallinfo2), the records already allocated;
//   old      what the restore did before the dedup window: RunRecord(record:) (JSON) for every
//            record, the latest of each key kept in a [String: entry] dictionary.
// Times are the best of <repetitions> (the old restore runs once); memory is the first repetition's.
import CMalloc
import Foundation
import Glibc
import Tributary
import TributaryRunner

let arguments = CommandLine.arguments
let total = arguments.count > 1 ? Int(arguments[1].replacingOccurrences(of: "_", with: ""))! : 1_000_000
let repetitions = arguments.count > 2 ? max(1, Int(arguments[2])!) : 3

func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
func note(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

// MARK: memory and time

/// Resident set size in bytes, from /proc/self/statm (second field, pages).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * sysconf(Int32(_SC_PAGESIZE)) : 0
}

/// Bytes malloc has handed out and not had back (arenas plus mmapped blocks).
func heapInUse() -> Int {
    Int(tributary_heap_in_use())
}

/// Memory in use now: resident and heap.
struct Memory {
    var resident = residentBytes()
    var heap = heapInUse()
}

func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_048_576) }
func seconds(_ duration: Duration) -> Double {
    duration.seconds
}
func format(_ value: Double) -> String { String(format: "%.3f", value) }
/// A count or size scaled to one million records.
func perMillion(_ value: Double) -> Double { value * 1_000_000 / Double(total) }

/// Runs `body` `times` times; returns the best time and the first result.
func best<T>(_ times: Int, _ body: () -> T) -> (Double, T) {
    var fastest = Double.infinity
    var first: T?
    for _ in 0..<times {
        let start = ContinuousClock.now
        let result = body()
        fastest = min(fastest, seconds(ContinuousClock.now - start))
        if first == nil { first = result }
    }
    return (fastest, first!)
}

// MARK: the records

/// A small deterministic generator (SplitMix64), so every run builds the same partition.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func token(_ length: Int) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        return String(decoding: (0..<length).map { _ in alphabet[below(alphabet.count)] }, as: UTF8.self)
    }
}

let jobId = "stripe-on-price"
let otherJobs = ["sync-crm", "notify-slack"]
let window = Duration.seconds(7 * 86_400)
let now = Date(timeIntervalSince1970: 1_800_000_000)
let sources = [("stripe.com", "price.created", "evt_"), ("stripe.com", "invoice.paid", "evt_"), ("github.com", "push", "gh_")]

/// What was built, for the `records` line.
struct Mix {
    var otherJobs = 0, succeeded = 0, deadLettered = 0, unfinished = 0, older = 0, bytes = 0
}

/// One partition's run records: ~10% of other jobs, ~5% unfinished (`started`, or `failed` with an
/// error) with a task or two, ~1.5% dead-lettered, the rest succeeded (half with a completed task);
/// ~8% of the final ones finished before the window. Final records carry the status headers.
func buildRecords() throws -> ([WireRecord], Mix) {
    var random = SplitMix(state: 13)
    var mix = Mix()
    var records: [WireRecord] = []
    records.reserveCapacity(total)
    for _ in 0..<total {
        let (source, name, idPrefix) = sources[random.below(sources.count)]
        let eventId = idPrefix + random.token(24)
        let eventKey = "\(source)/\(eventId)"
        let roll = random.below(1000)
        let job = roll < 100 ? otherJobs[random.below(otherJobs.count)] : jobId
        if roll < 100 { mix.otherJobs += 1 }
        let kind = random.below(1000)
        let status: RunRecord.Status = kind < 50 ? (kind < 25 ? .started : .failed) : kind < 65 ? .deadLettered : .succeeded
        let runId = RunContext.runId(eventKey: eventKey, jobId: job)
        let ageSeconds: Double =
            status.isFinal && random.below(100) < 8
            ? Double(7 * 86_400 + random.below(23 * 86_400))  // finished before the window
            : Double(random.below(7 * 86_400 - 3_600))
        let finished = now.addingTimeInterval(-ageSeconds)
        let started = finished.addingTimeInterval(-Double(random.below(900)) / 1000 - 0.01)
        let priceId = "price_" + random.token(14)
        var tasks: [TaskRecord] = []
        let taskCount = status.isFinal ? random.below(2) : 1 + random.below(2)
        for index in 0..<taskCount {
            tasks.append(
                TaskRecord(
                    runId: runId, key: index == 0 ? "lookup-product" : "notify", status: .completed,
                    output: ["id": .string("prod_" + random.token(14)), "active": .bool(true)],
                    startedAt: started, finishedAt: started.addingTimeInterval(0.004)))
        }
        var logs = [
            RunLogLine(
                time: started.addingTimeInterval(0.005), level: "info", message: "price created!",
                metadata: ["price": priceId])
        ]
        var error: String?
        if status == .failed || status == .deadLettered {
            error = "HTTP 503 from api.example.com"
            logs.append(RunLogLine(time: finished, level: "error", message: "upstream unavailable", metadata: ["status": "503"]))
        }
        if status == .deadLettered {
            logs.append(RunLogLine(time: finished, level: "error", message: RunRecord.deadLetteredMessage))
        }
        let record = try RunRecord(
            runId: runId, jobId: job, jobVersion: "3", eventKey: eventKey, eventId: eventId, eventName: name, source: source,
            status: status, attempt: status == .deadLettered ? 3 : status == .failed ? 2 : 1, logs: logs, tasks: tasks,
            properties: [RunProperty(label: "Price", text: priceId, url: "https://dashboard.stripe.com/prices/\(priceId)")],
            error: error, startedAt: started, finishedAt: status == .started ? nil : finished
        ).record()
        records.append(record)
        if roll >= 100 {
            switch status {
            case .succeeded: mix.succeeded += 1
            case .deadLettered, .cancelled, .skipped: mix.deadLettered += 1
            case .started, .failed, .waiting: mix.unfinished += 1
            }
            if status.isFinal && ageSeconds >= 7 * 86_400 { mix.older += 1 }
        }
        mix.bytes +=
            (record.key?.count ?? 0) + (record.value?.count ?? 0) + record.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.count }
    }
    return (records, mix)
}

// MARK: the three ways through them

/// The ceiling: touches every key and header byte, keeps nothing.
func raw(_ records: [WireRecord]) -> UInt64 {
    var sum: UInt64 = 0
    for record in records {
        if let key = record.key { for byte in key { sum &+= UInt64(byte) } }
        for header in record.headers {
            for byte in header.name.utf8 { sum &+= UInt64(byte) }
            for byte in header.value { sum &+= UInt64(byte) }
        }
    }
    return sum
}

/// The restore of one partition as `RunHistory.rebuild` does it: every record through the fold, then
/// the expired keys taken.
func fold(_ records: [WireRecord]) -> (RunHistoryFold, [String]) {
    var fold = RunHistoryFold(jobId: jobId, window: window)
    for record in records {
        guard let key = record.key else { continue }
        fold.apply(key: key, value: record.value, headers: record.headers.map { ($0.name, $0.value) }, now: now)
    }
    let expired = fold.takeExpired()
    return (fold, expired)
}

/// What the restore kept per key before the dedup window: whether the run is over, its attempt, its tasks.
struct OldEntry {
    var finished: Bool
    var attempt: Int
    var tasks: [TaskRecord]
}

/// The restore before the dedup window: every record JSON-decoded, the latest per key kept.
func oldRestore(_ records: [WireRecord]) -> [String: OldEntry] {
    var entries: [String: OldEntry] = [:]
    for record in records {
        guard let key = record.keyString else { continue }
        guard record.value != nil else {
            entries[key] = nil
            continue
        }
        guard let run = try? RunRecord(record: record) else { continue }
        entries[key] = OldEntry(finished: run.isFinal, attempt: run.attempt, tasks: run.isFinal ? [] : run.tasks)
    }
    return entries
}

/// Runs `body` once for its memory (kept alive while measured), then `times - 1` more for time.
func measured<T>(_ times: Int, _ body: () -> T) -> (time: Double, resident: Int, heap: Int, result: T) {
    _ = tributary_heap_trim()
    let before = Memory()
    let start = ContinuousClock.now
    let result = body()
    var fastest = seconds(ContinuousClock.now - start)
    let after = Memory()
    if times > 1 {
        let (again, _) = best(times - 1) { body() }
        fastest = min(fastest, again)
    }
    return (fastest, after.resident - before.resident, after.heap - before.heap, result)
}

// MARK: main

let baseline = Memory()
let buildStart = ContinuousClock.now
let (records, mix) = try buildRecords()
let built = Memory()
let ours = total - mix.otherJobs
emit(
    "records: \(total) run records of one partition (\(ours) of \(jobId): \(mix.succeeded) succeeded, \(mix.deadLettered) dead-lettered, \(mix.unfinished) unfinished; \(mix.older) finished before the 7-day window; \(mix.otherJobs) of other jobs), \(megabytes(mix.bytes)) of keys+values+headers, \(megabytes(built.resident - baseline.resident)) RSS; built in \(format(seconds(ContinuousClock.now - buildStart))) s"
)

let rawRun = measured(repetitions) { raw(records) }
emit(
    "raw (ceiling: key and header bytes of every record touched, nothing decoded): \(format(rawRun.time)) s = \(Int(Double(total) / rawRun.time)) records/s (checksum \(rawRun.result % 1000))"
)

let foldRun = measured(repetitions) { fold(records) }
let (restored, expired) = foldRun.result
let foldSecondsPerMillion = perMillion(foldRun.time)
let foldMegabytesPerMillion = perMillion(Double(foldRun.resident)) / 1_048_576
let met = foldSecondsPerMillion <= 2 && foldMegabytesPerMillion <= 150
emit(
    "fold (RunHistoryFold.apply every record + takeExpired): \(format(foldRun.time)) s = \(Int(Double(total) / foldRun.time)) records/s, \(format(foldRun.time / rawRun.time))x raw; memory +\(megabytes(foldRun.resident)) RSS, +\(megabytes(foldRun.heap)) heap in use; holds \(restored.finishedCount) finished, \(restored.unfinishedCount) unfinished, \(expired.count) expired keys to tombstone, \(restored.unreadable) unreadable; per million: \(format(foldSecondsPerMillion)) s, \(String(format: "%.1f", foldMegabytesPerMillion)) MB (goal <= 2 s, <= 150 MB: \(met ? "met" : "MISSED"))"
)

if arguments.count > 3 && arguments[3] == "fold" { exit(0) }
let oldRun = measured(1) { oldRestore(records) }
emit(
    "old restore (RunRecord(record:) JSON-decodes every record, latest per key in [String: entry]): \(format(oldRun.time)) s = \(Int(Double(total) / oldRun.time)) records/s, \(format(oldRun.time / rawRun.time))x raw, \(format(oldRun.time / foldRun.time))x the fold; memory +\(megabytes(oldRun.resident)) RSS, +\(megabytes(oldRun.heap)) heap in use; holds \(oldRun.result.count) keys"
)
