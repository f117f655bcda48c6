import Prometheus
import Synchronization

/// The receiver's Prometheus metrics: requests by source and outcome, request latency by status
/// code, publish latency, events published and signature failures.
final class ReceiverMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let requests = Mutex<[String: Counter]>([:])
    let publishLatency: DurationHistogram
    let eventsPublished: Counter
    private let signatureFailures = Mutex<[String: Counter]>([:])
    private let durations = Mutex<[Int: DurationHistogram]>([:])

    init() {
        publishLatency = registry.makeDurationHistogram(
            name: "tributary_receiver_publish_seconds",
            buckets: [
                .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5), .seconds(10),
            ],
            help: "Time from the first publish to the broker's acknowledgement of every event of a webhook")
        eventsPublished = registry.makeCounter(
            name: "tributary_receiver_events_published_total", help: "Events acknowledged by the broker")
    }

    /// Records how long a webhook request took to answer, by status code
    /// (`tributary_receiver_request_duration_seconds{code}`).
    func requestDuration(status: Int, _ duration: Duration) {
        let histogram = durations.withLock { histograms in
            if let histogram = histograms[status] { return histogram }
            let histogram = registry.makeDurationHistogram(
                name: "tributary_receiver_request_duration_seconds", labels: [("code", "\(status)")],
                buckets: Self.latencyBuckets, help: "Time from a webhook request's arrival to its answer, by status code")
            histograms[status] = histogram
            return histogram
        }
        histogram.record(duration)
    }

    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        .seconds(5), .seconds(10),
    ]

    /// Counts one webhook request. `source` is the source key when known, `unknown` otherwise.
    func request(source: String, outcome: String) {
        let key = source + "\u{0}" + outcome
        let counter = requests.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                name: "tributary_receiver_requests_total", labels: [("source", source), ("outcome", outcome)],
                help: "Webhook requests by source key and outcome")
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    /// Counts a delivery rejected for its signature or timestamp.
    func signatureFailure(source: String) {
        let counter = signatureFailures.withLock { counters in
            if let counter = counters[source] { return counter }
            let counter = registry.makeCounter(
                name: "tributary_receiver_signature_failures_total", labels: [("source", source)],
                help: "Deliveries rejected for a missing, wrong or stale signature")
            counters[source] = counter
            return counter
        }
        counter.increment()
    }
}
