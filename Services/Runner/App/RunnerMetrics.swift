import Foundation
import Prometheus
import Synchronization

/// The runner's Prometheus metrics: runs by job and outcome, run duration by job, consumer lag, waits pending.
public final class RunnerMetrics: Sendable {
    /// How a run (or one attempt of it) ended, as counted in `tributary_runner_runs_total`.
    public enum Outcome: String, Sendable, CaseIterable {
        /// The run succeeded.
        case succeeded
        /// An attempt failed and will be retried.
        case retried
        /// The last attempt failed; the event went to `<p>.dlq`.
        case deadLettered = "dead_lettered"
        /// The run had finished before (a redelivered event): nothing ran.
        case skipped
        /// The run suspended at a wait (it gave up its lane, permit and partition).
        case suspended
        /// A waiting run resumed.
        case resumed
        /// The run was cancelled (`cancelOn`, or `tributary runs cancel`).
        case cancelled
        /// Flow control ran nothing for the event (rate limited, a duplicate, debounced, batched).
        case flowSkipped = "flow_skipped"
        /// Flow control held the event (queued, throttled, debounced, batching).
        case flowHeld = "flow_held"
    }

    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let runs: [String: [Outcome: Counter]]
    private let durations: [String: DurationHistogram]
    private let unreadable: Counter
    private let lag = Mutex<[String: Gauge]>([:])
    private let waitsPending: [String: Gauge]

    /// Metrics for these job ids.
    public init(jobIds: [String], registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var runs: [String: [Outcome: Counter]] = [:]
        var durations: [String: DurationHistogram] = [:]
        let buckets: [Duration] = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
            .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        for job in jobIds {
            for outcome in Outcome.allCases {
                runs[job, default: [:]][outcome] = registry.makeCounter(
                    descriptor: Self.name("runs", "total", "Runs by job and outcome"),
                    labels: [("job", job), ("outcome", outcome.rawValue)])
            }
            durations[job] = registry.makeDurationHistogram(
                descriptor: Self.name("run_duration", "seconds", "Duration of run attempts by job"),
                labels: [("job", job)], buckets: buckets)
        }
        self.runs = runs
        self.durations = durations
        waitsPending = Dictionary(
            uniqueKeysWithValues: jobIds.map { job in
                (
                    job,
                    registry.makeGauge(
                        descriptor: Self.name(
                            "waits_pending", "", "Runs of a job waiting on this runner (io.wait, waitForEvent, flow holds)"),
                        labels: [("job", job)])
                )
            })
        unreadable = registry.makeCounter(
            descriptor: Self.name("unreadable_events", "total", "Messages that are not CloudEvents, sent to the dead-letter topic"))
    }

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "tributary", subsystem: "runner", metricName: metric, unitName: unit, helpText: help)
    }

    /// Counts a run outcome.
    func count(job: String, _ outcome: Outcome) { runs[job]?[outcome]?.increment() }

    /// Records how long an attempt took.
    func recordDuration(job: String, _ duration: Duration) { durations[job]?.record(duration) }

    /// Counts a message that is not an event.
    func countUnreadable() { unreadable.increment() }

    /// Sets how many of a job's runs wait on this runner (their `<p>.runs` partitions held here).
    func setWaitsPending(job: String, _ count: Int) { waitsPending[job]?.set(Double(count)) }

    /// Sets the consumer lag of a job's partition (high-water mark minus the next offset to commit).
    func setLag(job: String, topic: String, partition: Int32, _ value: Int64) {
        let key = "\(job)/\(topic)/\(partition)"
        let gauge = lag.withLock { gauges in
            if let gauge = gauges[key] { return gauge }
            let gauge = registry.makeGauge(
                descriptor: Self.name("consumer_lag", "records", "Records of a partition not yet finished by this runner"),
                labels: [("job", job), ("topic", topic), ("partition", "\(partition)")])
            gauges[key] = gauge
            return gauge
        }
        gauge.set(Double(value))
    }
}
