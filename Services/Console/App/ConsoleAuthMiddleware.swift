import Foundation
import HTTPTypes
import Hummingbird

/// The console's access rules, before any route: without a live session cookie a page redirects to
/// `/login` (303) and the API and event stream answer 401; with one, every request but `GET` and
/// `HEAD` must carry the session's CSRF token (form field `csrf` or header `X-CSRF-Token`), else 403.
/// Open without a session: `/login`, `/healthz`, `/readyz`, `/metrics`.
struct ConsoleAuthMiddleware: RouterMiddleware {
    typealias Context = ConsoleRequestContext
    let sessions: ConsoleSessions

    static let open: Set<String> = ["/login", "/healthz", "/readyz", "/metrics"]
    /// The header an API client sends its CSRF token in.
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!
    /// The largest form or JSON body taken.
    static let bodyLimit = 2 << 20

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if Self.open.contains(path) { return try await next(request, context) }
        guard let session = sessions.session(request.cookies[ConsoleSessions.cookieName]?.value) else {
            if path.hasPrefix("/api/") || path == "/events" {
                return ConsoleResponse.json(["error": "log in first: POST /login with the password"], status: .unauthorized)
            }
            let target = path + (request.uri.query.map { "?" + $0 } ?? "")
            return ConsoleResponse.redirect("/login?next=\(HTML.query(target))")
        }
        var context = context
        context.session = session
        var request = request
        if request.method != .get && request.method != .head {
            let body = try await request.collectBody(upTo: Self.bodyLimit)
            if request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true {
                context.form = FormFields(String(buffer: body))
            }
            let token = request.headers[Self.csrfHeader] ?? context.form["csrf"]
            guard let token, ConsoleSessions.constantTimeEqual(Array(token.utf8), Array(session.csrf.utf8)) else {
                return ConsoleResponse.json(
                    ["error": "missing or wrong CSRF token (form field csrf or header X-CSRF-Token)"], status: .forbidden)
            }
        }
        return try await next(request, context)
    }
}

/// The console's responses: pages, JSON, redirects.
enum ConsoleResponse {
    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"the answer could not be encoded"}"#.utf8)
        return Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data + Data("\n".utf8))))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}
