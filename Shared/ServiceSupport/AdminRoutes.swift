import Hummingbird
import Logging
import Prometheus

/// Liveness, readiness and metrics: `/healthz`, `/readyz` and `/metrics`, as every service serves them.
/// `/metrics` carries the service's own metrics, the `process_*` metrics and `tributary_build_info`.
public struct AdminRoutes: Sendable {
    /// Whether the service can do its work now (e.g. its views caught up and Kafka is reachable).
    public var isReady: @Sendable () async -> Bool
    /// The registry `/metrics` renders in Prometheus text format.
    public var metrics: PrometheusCollectorRegistry
    /// Sets gauges that are read when scraped (the runner's pending waits), before each rendering.
    public var beforeScrape: @Sendable () -> Void = {}
    private let process: ProcessMetrics

    /// Routes serving `metrics` and answering `/readyz` with `isReady`.
    public init(metrics: PrometheusCollectorRegistry, isReady: @escaping @Sendable () async -> Bool) {
        self.metrics = metrics
        self.isReady = isReady
        self.process = ProcessMetrics(registry: metrics)
    }

    /// The Prometheus text of `/metrics`, the scrape-time values updated first.
    public func render() -> [UInt8] {
        beforeScrape()
        process.update()
        var text: [UInt8] = []
        metrics.emit(into: &text)
        return text
    }

    /// Adds the three routes to a router.
    public func add<Context: RequestContext>(to router: Router<Context>) {
        let isReady = isReady
        let routes = self
        router.get("/healthz") { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
        router.get("/readyz") { _, _ in
            await isReady()
                ? Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
                : Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "not ready\n")))
        }
        router.get("/metrics") { _, _ in
            let text = routes.render()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
    }

    /// An HTTP application serving only these routes, for services without an HTTP API of their own.
    public func application(host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        add(to: router)
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "tributary-admin"),
            logger: logger)
    }
}
