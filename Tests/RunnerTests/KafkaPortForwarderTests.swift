import Foundation
import NIOCore
import Testing

@testable import TributaryDev

#if canImport(Glibc)
    import Glibc
#endif

/// dev's `--kafka-port` relay: it listens before the embedded brokers bind their ports, and never
/// relays to itself.
@Suite("dev's --kafka-port relay")
struct KafkaPortForwarderTests {
    @Test("before it knows its target it closes each connection; then it relays bytes both ways; itself as the target is refused")
    func relays() async throws {
        let forwarder = try await KafkaPortForwarder(port: 0)
        let early = try Socket.connect(port: forwarder.port)
        #expect(try early.receive() == nil, "a connection before relay(to:) is closed, not held")

        #expect(throws: DevError.self, "relaying to itself would loop each connection back to it") {
            try forwarder.relay(to: try SocketAddress(ipAddress: "127.0.0.1", port: forwarder.port))
        }

        let broker = try Socket.listen()
        try forwarder.relay(to: try SocketAddress(ipAddress: "127.0.0.1", port: broker.port))
        let client = try Socket.connect(port: forwarder.port)
        let accepted = try broker.accept()
        try client.send("ping")
        #expect(try accepted.receive() == "ping")
        try accepted.send("pong")
        #expect(try client.receive() == "pong")
    }
}

/// A blocking loopback socket with a 10 s timeout on every call, for the test above.
private struct Socket: ~Copyable {
    let fd: Int32

    init(fd: Int32) throws {
        guard fd >= 0 else { throw Failure("socket: \(String(cString: strerror(errno)))") }
        self.fd = fd
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    static func connect(port: Int) throws -> Socket {
        let socket = try Socket(fd: Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0))
        var address = loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw Failure("connect to \(port): \(String(cString: strerror(errno)))") }
        return socket
    }

    static func listen() throws -> Socket {
        let socket = try Socket(fd: Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0))
        var address = loopback(port: 0)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0, Glibc.listen(socket.fd, 4) == 0 else { throw Failure("listen: \(String(cString: strerror(errno)))") }
        return socket
    }

    var port: Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func accept() throws -> Socket { try Socket(fd: Glibc.accept(fd, nil, nil)) }

    func send(_ text: String) throws {
        let sent = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == text.utf8.count else { throw Failure("send: \(String(cString: strerror(errno)))") }
    }

    /// What the peer sent, or nil when it closed the connection.
    func receive() throws -> String? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { throw Failure("recv: \(String(cString: strerror(errno)))") }
        return count == 0 ? nil : String(decoding: buffer[..<count], as: UTF8.self)
    }
}

private struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
