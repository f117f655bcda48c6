import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Pins dev's Kafka to a port of your choice (`--kafka-port`): the embedded cluster's brokers
/// listen on random ports, so this listens on the fixed one and relays each connection, byte for
/// byte, to the first broker. A client bootstraps there; the metadata it gets back names the
/// brokers' own ports on the same host, which it then uses directly.
///
/// It listens before the cluster starts and learns its target afterwards (``relay(to:)``): a port
/// checked free and let go could otherwise be handed by the kernel to one of the cluster's own
/// brokers (they bind ephemeral ports), which then advertises the port this listens on, and each
/// connection would be relayed to itself (seen once in CI: every connection refused, dev stuck).
final class KafkaPortForwarder: Service, Sendable {
    private let listener: any Channel
    private let target = Target()

    /// Listens on `port` (of the loopback host `host`); throws naming the port when it is in use.
    /// Connections that arrive before ``relay(to:)`` are closed.
    init(host: String = "127.0.0.1", port: Int) async throws {
        let target = self.target
        let group = MultiThreadedEventLoopGroup.singleton
        listener = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                guard let target = target.address.withLock({ $0 }) else { return inbound.close() }
                return inbound.setOption(ChannelOptions.autoRead, value: false).flatMap {
                    ClientBootstrap(group: inbound.eventLoop).connect(to: target).flatMap { outbound in
                        let pair = (inbound, outbound)
                        return outbound.pipeline.addHandler(Relay(to: pair.0)).flatMap {
                            pair.0.pipeline.addHandler(Relay(to: pair.1))
                        }.flatMap { pair.0.setOption(ChannelOptions.autoRead, value: true) }
                    }
                }
            }
            .bind(host: host, port: port).get()
    }

    /// The port it listens on.
    var port: Int { listener.localAddress?.port ?? 0 }

    /// Relays every connection from now on to `target`, which must not be this listener itself.
    func relay(to target: SocketAddress) throws {
        if target.port == port, target.ipAddress == listener.localAddress?.ipAddress {
            throw DevError("the embedded broker's address \(target) is the one --kafka-port forwards from")
        }
        self.target.address.withLock { $0 = target }
    }

    func run() async throws {
        try? await gracefulShutdown()
        try? await listener.close()
    }

    /// Where connections go, once known.
    private final class Target: Sendable {
        let address = Mutex<SocketAddress?>(nil)
    }

    /// Writes what one side reads to the other; closes the other when one side closes.
    private final class Relay: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private let partner: any Channel

        init(to partner: any Channel) { self.partner = partner }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            partner.writeAndFlush(data, promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            partner.close(promise: nil)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
