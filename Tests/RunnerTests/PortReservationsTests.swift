import TestSupport
import Testing

@testable import TributaryDev

#if canImport(Glibc)
    import Glibc
#endif

/// dev's port checks: a port checked free stays bound until the embedded cluster has bound its own.
@Suite("dev's port reservations")
struct PortReservationsTests {
    /// A socket bound to `port` on every address without SO_REUSEADDR, or the errno of the bind (the
    /// socket then closed).
    static func bind(_ port: Int) -> Result<Int32, Errno> {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let error = Errno(code: errno)
            close(fd)
            return .failure(error)
        }
        return .success(fd)
    }

    /// The errno of binding `port` (0 when it could; the socket is closed again).
    static func bindError(_ port: Int) -> Int32 {
        switch bind(port) {
        case .success(let fd):
            close(fd)
            return 0
        case .failure(let error): return error.code
        }
    }

    /// The errno of connecting to `port` on loopback (0 when it connected; the socket is closed again).
    static func connectError(_ port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0 ? 0 : errno
    }

    /// An errno as an error.
    struct Errno: Error { var code: Int32 }

    @Test("a held port cannot be bound by anyone else until released; one not held is let go at once; one listened on is named as busy")
    func heldUntilReleased() throws {
        let reservations = PortReservations()
        let held = try reservePort(nil, flag: "--port", what: "the receiver", held: reservations)
        #expect(Self.bindError(held) == EADDRINUSE, "the port stays bound while held")
        reservations.release()
        #expect(Self.bindError(held) == 0, "released, it is free for its server")

        let checked = try reservePort(nil, flag: "--port", what: "the receiver")
        #expect(Self.bindError(checked) == 0, "a check without a hold lets the port go")

        // A port something listens on is named as busy.
        let listener = try Self.bind(checked).get()
        defer { close(listener) }
        try #require(listen(listener, 1) == 0)
        do {
            _ = try reservePort(checked, flag: "--console-port", what: "the console", held: PortReservations())
            Issue.record("a port in use was taken")
        } catch let error as DevError {
            #expect(error.description.contains("port \(checked) is in use (the console, --console-port)"), "\(error)")
        }
    }

    @Test("the tests' ClosedPort refuses connections and cannot be bound by anyone else while it lives")
    func closedPortStaysClosed() throws {
        var closed: ClosedPort? = try ClosedPort()
        let port = try #require(closed?.port)
        #expect(Self.connectError(port) == ECONNREFUSED)
        #expect(Self.bindError(port) == EADDRINUSE, "a server of a test alongside cannot take it")
        closed = nil
        #expect(Self.bindError(port) == 0, "gone, it is free again")
    }
}
