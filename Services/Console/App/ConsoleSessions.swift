import Foundation
import Synchronization

/// A logged-in browser (or API client): its session token (the cookie's value) and its CSRF token,
/// which every state-changing request must carry (form field `csrf` or header `X-CSRF-Token`).
public struct ConsoleSession: Sendable, Hashable {
    public var token: String
    public var csrf: String
    public var expires: Date
    /// The name given at login (the console has one password; the name says who used it), if any.
    public var user: String? = nil

    /// Who this session's actions are recorded as on `<p>.audit`: `<name>@console`, or `console`.
    public var actor: String { user.map { "\($0)@console" } ?? "console" }

    /// `name` as a login name: letters, digits and `._-` kept, at most 64 of them; nil when none is left.
    public static func userName(_ name: String?) -> String? {
        let kept = (name ?? "").unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0) }
        let text = String(String.UnicodeScalarView(kept.prefix(64)))
        return text.isEmpty ? nil : text
    }
}

/// The console's logins: checks the password (rate-limited by ``LoginThrottle``), issues sessions
/// and looks them up. Sessions live in memory: a restart logs everyone out.
public final class ConsoleSessions: Sendable {
    /// The session cookie's name.
    public static let cookieName = "tributary_session"

    /// What a login attempt came to.
    public enum LoginResult: Sendable, Equatable {
        case loggedIn(ConsoleSession)
        case wrongPassword
        /// Too many wrong passwords lately: try again in this many seconds.
        case throttled(retryAfter: Int)
    }

    private struct State {
        var sessions: [String: ConsoleSession] = [:]
        var throttle = LoginThrottle()
    }

    private let password: [UInt8]
    private let lifetime: TimeInterval
    private let state = Mutex(State())

    /// Sessions for `password`, each lasting `lifetime`.
    public init(password: String, lifetime: Duration) {
        self.password = Array(password.utf8)
        self.lifetime = lifetime.seconds
    }

    /// How long a session lasts, in seconds.
    public var lifetimeSeconds: Int { Int(lifetime) }

    /// Tries `attempt` as the password; the session is `user`'s (see ``ConsoleSession/userName(_:)``).
    public func login(password attempt: String, user: String? = nil, now: Date = Date()) -> LoginResult {
        state.withLock { state in
            let admitted = state.throttle.admit(at: now)
            guard admitted.allowed else { return .throttled(retryAfter: admitted.retryAfter) }
            guard Self.constantTimeEqual(Array(attempt.utf8), password) else {
                state.throttle.failed(at: now)
                return .wrongPassword
            }
            state.sessions = state.sessions.filter { $0.value.expires > now }
            let session = ConsoleSession(
                token: Self.randomToken(), csrf: Self.randomToken(), expires: now.addingTimeInterval(lifetime),
                user: ConsoleSession.userName(user))
            state.sessions[session.token] = session
            return .loggedIn(session)
        }
    }

    /// The live session of a cookie's value, or nil.
    public func session(_ token: String?, now: Date = Date()) -> ConsoleSession? {
        guard let token else { return nil }
        return state.withLock { state in
            guard let session = state.sessions[token], session.expires > now else { return nil }
            return session
        }
    }

    /// Ends a session.
    public func logout(_ token: String) {
        _ = state.withLock { $0.sessions.removeValue(forKey: token) }
    }

    /// 32 random hex digits.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Compares without stopping at the first difference (only the length shows).
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
