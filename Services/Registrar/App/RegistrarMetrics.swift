import Prometheus
import Synchronization

/// The registrar's Prometheus metrics: reconciliations by source and outcome, each source's
/// registration state, commands by kind and outcome, lost leadership terms, whether this instance
/// leads, and how many source states it cannot read.
public final class RegistrarMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry = PrometheusCollectorRegistry()
    private let counters = Mutex<[String: Counter]>([:])
    private let gauges = Mutex<[String: Gauge]>([:])
    let leader: Gauge
    /// How many source states the leader cannot read (sealed only with a key no longer configured, or a
    /// newer version), as of its last pass: they are left alone, and their webhooks are refused.
    let unreadableSources: Gauge

    init() {
        unreadableSources = registry.makeGauge(
            descriptor: Self.descriptor(
                "unreadable_sources", unit: "",
                help: "Source states the leader cannot read (sealed with a key not configured, or a newer version)"),
            labels: [])
        unreadableSources.set(0.0)
        leader = registry.makeGauge(
            descriptor: Self.descriptor("leader", unit: "", help: "1 while this registrar is the leader, else 0"), labels: [])
        leader.set(0.0)
    }

    /// Counts one registration by outcome: `registered`, `unchanged`, `removed` or `failed`.
    func reconciliation(source: String, outcome: String) {
        counter(
            "reconciliations", [("source", source), ("outcome", outcome)],
            help: "Registrations by source key and outcome"
        ).increment()
    }

    /// Sets a source's registration state: `tributary_registrar_source_registered` (1 while its
    /// webhook is registered and active) and `tributary_registrar_source_consecutive_failures` (failed
    /// attempts since its last success). Failed attempts are counted as
    /// `tributary_registrar_reconciliations_total{outcome="failed"}`.
    func sourceState(source: String, registered: Bool, consecutiveFailures: Int) {
        let registeredGauge = gauge(
            "source_registered", source: source, help: "1 while the source's webhook is registered and active, else 0")
        let failuresGauge = gauge(
            "source_consecutive_failures", source: source, help: "Failed registration attempts of the source since its last success")
        registeredGauge.set(registered ? 1.0 : 0.0)
        failuresGauge.set(Double(consecutiveFailures))
    }

    /// Counts one applied command by kind and outcome: `applied` or `refused`.
    func command(kind: String, outcome: String) {
        counter(
            "commands", [("kind", kind), ("outcome", outcome)],
            help: "Commands applied by kind and outcome"
        ).increment()
    }

    /// Counts one scheduled tick emitted, by job and whether it was a catch-up.
    func tick(job: String, catchUp: Bool) {
        counter("ticks", [("job", job), ("catch_up", catchUp ? "true" : "false")], help: "Scheduled ticks emitted by job").increment()
    }

    /// Counts a leadership term that ended because it could no longer write (fenced by another leader).
    func leadershipLost() {
        counter("leadership_lost", [], help: "Leadership terms ended because the term could no longer write (fenced)").increment()
    }

    /// `tributary_registrar_<name>[_<unit>]`.
    private static func descriptor(_ name: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "tributary", subsystem: "registrar", metricName: name, unitName: unit, helpText: help)
    }

    private func gauge(_ name: String, source: String, help: String) -> Gauge {
        gauges.withLock { gauges in
            let key = name + "\u{0}" + source
            if let gauge = gauges[key] { return gauge }
            let gauge = registry.makeGauge(descriptor: Self.descriptor(name, unit: "", help: help), labels: [("source", source)])
            gauges[key] = gauge
            return gauge
        }
    }

    private func counter(_ name: String, _ labels: [(String, String)], help: String) -> Counter {
        let key = ([name] + labels.map { "\($0.0)=\($0.1)" }).joined(separator: "\u{0}")
        return counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(descriptor: Self.descriptor(name, unit: "total", help: help), labels: labels)
            counters[key] = counter
            return counter
        }
    }
}

extension RegistrarMetrics {
    /// The metrics in Prometheus text format, as `/metrics` serves them.
    public func render() -> String {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
