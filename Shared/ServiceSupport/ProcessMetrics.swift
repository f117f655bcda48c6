import Foundation
import Prometheus
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The standard `process_*` metrics of the service's own process, read from `/proc/self` on each
/// scrape: `process_cpu_seconds_total`, `process_resident_memory_bytes`,
/// `process_virtual_memory_bytes`, `process_open_fds`, `process_max_fds` and
/// `process_start_time_seconds`; and `tributary_build_info{version,swift}` (always 1).
final class ProcessMetrics: Sendable {
    /// The version `tributary_build_info` reports.
    static let version = "0.1.0"

    private let cpu: Counter
    private let cpuReported = Mutex<Double>(0)
    private let resident: Gauge
    private let virtual: Gauge
    private let openFds: Gauge
    private let maxFds: Gauge
    private let startTime: Gauge

    /// Registers the metrics in `registry` (a registry that has them already gets the same ones).
    init(registry: PrometheusCollectorRegistry) {
        cpu = registry.makeCounter(name: "process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds")
        resident = registry.makeGauge(name: "process_resident_memory_bytes", help: "Resident memory size in bytes")
        virtual = registry.makeGauge(name: "process_virtual_memory_bytes", help: "Virtual memory size in bytes")
        openFds = registry.makeGauge(name: "process_open_fds", help: "Number of open file descriptors")
        maxFds = registry.makeGauge(name: "process_max_fds", help: "Maximum number of open file descriptors")
        startTime = registry.makeGauge(
            name: "process_start_time_seconds", help: "Start time of the process since unix epoch in seconds")
        #if swift(>=6.3)
            let swift = "6.3"
        #else
            let swift = "6"
        #endif
        registry.makeGauge(
            name: "tributary_build_info", labels: [("version", Self.version), ("swift", swift)],
            help: "Always 1: the Tributary version and Swift language version of this build"
        ).set(1.0)
    }

    /// Reads `/proc/self` and sets the metrics (nothing is set where `/proc` cannot be read).
    func update() {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let stat = ProcessStat.parse(text, ticksPerSecond: ticks, pageSize: page)
        {
            let delta = cpuReported.withLock { reported -> Double in
                let delta = max(0, stat.cpuSeconds - reported)
                reported += delta
                return delta
            }
            if delta > 0 { cpu.increment(by: delta) }
            resident.set(stat.residentBytes)
            virtual.set(stat.virtualBytes)
            if let boot = Self.bootTime() { startTime.set(boot + stat.startedAfterBootSeconds) }
        }
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") { openFds.set(Double(fds.count)) }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { maxFds.set(Double(limit.rlim_cur)) }
    }

    /// `btime` of `/proc/stat`: when the machine booted, in seconds since 1970.
    private static func bootTime() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst("btime ".count))
        }
        return nil
    }
}

/// What `/proc/<pid>/stat` says, in seconds and bytes.
public struct ProcessStat: Equatable, Sendable {
    /// User and system CPU time.
    public var cpuSeconds: Double
    /// When the process started, in seconds after the machine booted.
    public var startedAfterBootSeconds: Double
    /// Virtual memory size.
    public var virtualBytes: Double
    /// Resident memory size.
    public var residentBytes: Double

    /// Parses `/proc/self/stat` (fields after the parenthesised command name, which may hold spaces):
    /// utime and stime (14, 15) and starttime (22) in clock ticks, vsize (23) in bytes, rss (24) in pages.
    /// Nil for text that is not such a line.
    public static func parse(_ text: String, ticksPerSecond: Double, pageSize: Double) -> ProcessStat? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state).
        func field(_ number: Int) -> Double? { fields.count > number - 3 ? Double(fields[number - 3]) : nil }
        guard let user = field(14), let system = field(15), let start = field(22), let virtual = field(23), let rss = field(24)
        else { return nil }
        return ProcessStat(
            cpuSeconds: (user + system) / ticksPerSecond, startedAfterBootSeconds: start / ticksPerSecond,
            virtualBytes: virtual, residentBytes: rss * pageSize)
    }
}
