import Prometheus
import Synchronization

/// The receiver's Prometheus metrics: requests by source and outcome, publish latency, events
/// published and signature failures.
final class ReceiverMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let requests = Mutex<[String: Counter]>([:])
    let publishLatency: DurationHistogram
    let eventsPublished: Counter
    private let signatureFailures = Mutex<[String: Counter]>([:])

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
