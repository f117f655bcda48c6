import TributaryKafka
import ServiceLifecycle

/// Keeps a producer until graceful shutdown, then flushes and frees it. List it before the services
/// that send through it, so it stops after they finished (a `ServiceGroup` stops in reverse order).
public struct ProducerService: Service {
    /// The producer it keeps.
    public let producer: KafkaProducer

    /// Keeps `producer`.
    public init(producer: KafkaProducer) { self.producer = producer }

    /// Waits for graceful shutdown, then shuts the producer down (it flushes what is in flight).
    public func run() async throws {
        try? await gracefulShutdown()
        await producer.shutdown()
    }
}

/// Follows a compacted topic into a ``KafkaTableView`` until graceful shutdown or cancellation.
public struct TableViewService: Service {
    /// The view it runs.
    public let view: KafkaTableView

    /// Runs `view`.
    public init(view: KafkaTableView) { self.view = view }

    /// Follows the topic until graceful shutdown or cancellation stops the view.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await view.run()
            } onCancel: {
                Task { await view.stop() }
            }
        } onGracefulShutdown: {
            Task { await view.stop() }
        }
    }
}
