import Kafka
import ServiceLifecycle

/// Keeps a producer until graceful shutdown, then flushes and frees it. List it before the services
/// that send through it, so it stops after they finished (a `ServiceGroup` stops in reverse order).
public struct ProducerService: Service {
    public let producer: KafkaProducer

    public init(producer: KafkaProducer) { self.producer = producer }

    public func run() async throws {
        try? await gracefulShutdown()
        await producer.shutdown()
    }
}

/// Follows a compacted topic into a ``KafkaTableView`` until graceful shutdown or cancellation.
public struct TableViewService: Service {
    public let view: KafkaTableView

    public init(view: KafkaTableView) { self.view = view }

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
