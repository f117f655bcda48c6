import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Pins dev's Kafka to a port of your choice (`--kafka-port`): the embedded cluster's brokers
/// listen on random ports, so this listens on the fixed one and relays each connection, byte for
/// byte, to the first broker. A client bootstraps there; the metadata it gets back names the
/// brokers' own ports on the same host, which it then uses directly.
final class KafkaPortForwarder: Service, Sendable {
    private let listener: any Channel
    private let target: SocketAddress
    private let logger: Logger

    /// Listens on `port` (every address of the loopback host `host`) and relays to `target`;
    /// throws naming the port when it is in use.
    init(host: String = "127.0.0.1", port: Int, target: SocketAddress, logger: Logger) async throws {
        self.target = target
        self.logger = logger
        let group = MultiThreadedEventLoopGroup.singleton
        listener = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                inbound.setOption(ChannelOptions.autoRead, value: false).flatMap {
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

    func run() async throws {
        try? await gracefulShutdown()
        try? await listener.close()
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
