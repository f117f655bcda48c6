import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceSupport
import Tributary
import TributaryIntegrations

/// The console's pages, JSON API (`/api/…`) and live event stream (`/events`), over the store,
/// the sessions and the actions. docs/console.md lists the routes.
struct ConsoleRoutes: Sendable {
    let store: ConsoleStore
    let sessions: ConsoleSessions
    let actions: ConsoleActions
    let updates: ConsoleUpdates
    let logger: Logger

    func add(to router: Router<ConsoleRequestContext>) {
        router.add(middleware: ConsoleAuthMiddleware(sessions: sessions))
        router.get("/") { _, _ in ConsoleResponse.redirect("/runs") }
        addLogin(to: router)
        addRuns(to: router)
        addPages(to: router)
        addAPI(to: router)
        router.get("/events") { request, _ in events(FormFields(request.uri.query)["channel"]) }
    }

    // MARK: Login

    func addLogin(to router: Router<ConsoleRequestContext>) {
        let sessions = sessions
        router.get("/login") { request, _ in
            let query = FormFields(request.uri.query)
            let next = Self.safeNext(query["next"])
            if let token = query["token"] { return Self.login(sessions, password: token, next: next, api: false) }
            return ConsoleResponse.html(ConsolePages.login(error: nil, next: next))
        }
        router.post("/login") { request, context in
            var request = request
            let body = try await request.collectBody(upTo: 64 << 10)
            let isJSON = request.headers[.contentType]?.hasPrefix("application/json") == true
            let password: String?
            let user: String?
            let next: String
            if isJSON {
                let json = try? JSON(parsing: Array(body.readableBytesView))
                password = json?["password"]?.stringValue
                user = json?["user"]?.stringValue
                next = "/runs"
            } else {
                let form = FormFields(String(buffer: body))
                password = form["password"]
                user = form["user"]
                next = Self.safeNext(form["next"])
            }
            return Self.login(sessions, password: password ?? "", user: user, next: next, api: isJSON)
        }
        router.post("/logout") { _, context in
            if let session = context.session { sessions.logout(session.token) }
            var response = ConsoleResponse.redirect("/login")
            response.setCookie(Cookie(name: ConsoleSessions.cookieName, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .lax))
            return response
        }
    }

    /// Logs in with `password`: a session cookie and a redirect to `next` (or, for the API, the
    /// session's CSRF token as JSON); a wrong password 401, too many lately 429 with `Retry-After`.
    static func login(_ sessions: ConsoleSessions, password: String, user: String? = nil, next: String, api: Bool) -> Response {
        switch sessions.login(password: password, user: user) {
        case .loggedIn(let session):
            var response = api ? ConsoleResponse.json(["csrf": session.csrf]) : ConsoleResponse.redirect(next)
            response.setCookie(
                Cookie(
                    name: ConsoleSessions.cookieName, value: session.token, maxAge: sessions.lifetimeSeconds, path: "/", httpOnly: true,
                    sameSite: .lax))
            return response
        case .wrongPassword:
            return api
                ? ConsoleResponse.json(["error": "wrong password"], status: .unauthorized)
                : ConsoleResponse.html(ConsolePages.login(error: "Wrong password.", next: next), status: .unauthorized)
        case .throttled(let retryAfter):
            var response =
                api
                ? ConsoleResponse.json(["error": "too many failed logins; retry in \(retryAfter) s"], status: .tooManyRequests)
                : ConsoleResponse.html(
                    ConsolePages.login(error: "Too many failed logins; try again in \(retryAfter) s.", next: next), status: .tooManyRequests
                )
            response.headers[.retryAfter] = "\(retryAfter)"
            return response
        }
    }

    /// Where to go after logging in: a path of this site, else `/runs` (no open redirect).
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\") else { return "/runs" }
        return next
    }

    // MARK: Runs

    func addRuns(to router: Router<ConsoleRequestContext>) {
        let store = store
        let actions = actions
        router.get("/runs") { request, context in
            let query = RunsQuery(FormFields(request.uri.query).dictionary)
            do {
                let rows = try store.runs(try query.filter())
                let jobIds = try store.jobIds()
                return ConsoleResponse.html(ConsolePages.runs(query: query, rows: rows, jobIds: jobIds, csrf: context.csrf))
            } catch let error as ConsoleRequestError {
                return ConsoleResponse.html(
                    HTML.page(title: "Runs", active: "/runs", csrf: context.csrf, body: ConsolePages.flash("error: \(error)")),
                    status: .badRequest)
            }
        }
        router.get("/runs/rows") { request, _ in
            let query = RunsQuery(FormFields(request.uri.query).dictionary)
            do {
                return ConsoleResponse.html(ConsolePages.runRows(try store.runs(try query.filter())))
            } catch let error as ConsoleRequestError {
                return ConsoleResponse.html(HTML.escape("\(error)"), status: .badRequest)
            }
        }
        router.get("/runs/:id") { request, context in
            let id = try context.parameters.require("id")
            guard let detail = try store.run(id) else {
                return ConsoleResponse.html(
                    HTML.page(
                        title: "Run", active: "/runs", csrf: context.csrf,
                        body: ConsolePages.flash("error: no run \(id) in the console's database")),
                    status: .notFound)
            }
            return ConsoleResponse.html(ConsolePages.run(detail, csrf: context.csrf, flash: FormFields(request.uri.query)["flash"]))
        }
        router.get("/runs/:id/payload") { _, context in
            let id = try context.parameters.require("id")
            guard let detail = try store.run(id) else { return ConsoleResponse.html("no run \(HTML.escape(id))", status: .notFound) }
            guard let event = try await actions.event(of: detail) else {
                return ConsoleResponse.html(
                    "<p class=\"muted\" id=\"payload\">The event is not on the events topic (another system's topic, or gone by retention).</p>"
                )
            }
            return ConsoleResponse.html(
                "<pre id=\"payload\">\(HTML.escape(HTML.prettyJSON(event.payloadBytes ?? event.payload.encoded())))</pre>")
        }
        router.post("/runs/:id/replay") { _, context in
            let id = try context.parameters.require("id")
            guard let detail = try store.run(id) else { return ConsoleResponse.redirect("/runs") }
            guard let letter = detail.deadLetter else {
                return ConsoleResponse.redirect(
                    "/runs/\(HTML.query(id))?flash=\(HTML.query("error: \(id) has no dead letter: only dead-lettered runs can be replayed"))"
                )
            }
            let lines = try await actions.replay([letter], by: context.actor)
            return ConsoleResponse.redirect("/runs/\(HTML.query(id))?flash=\(HTML.query(lines.joined(separator: "; ")))")
        }
        router.post("/runs/:id/cancel") { _, context in
            let id = try context.parameters.require("id")
            guard let detail = try store.run(id) else { return ConsoleResponse.redirect("/runs") }
            let line = try await actions.cancel(detail, by: context.actor)
            return ConsoleResponse.redirect("/runs/\(HTML.query(id))?flash=\(HTML.query(line))")
        }
    }

    // MARK: The other pages

    func addPages(to router: Router<ConsoleRequestContext>) {
        let store = store
        let actions = actions
        router.get("/jobs") { _, context in ConsoleResponse.html(ConsolePages.jobs(try store.jobs(), csrf: context.csrf)) }
        router.get("/catalog") { request, context in
            ConsoleResponse.html(ConsolePages.catalog(actions.catalog, csrf: context.csrf, flash: FormFields(request.uri.query)["flash"]))
        }
        router.post("/catalog/run") { _, context in
            let form = context.form
            do {
                let event = try await actions.runTest(
                    source: form["source"] ?? "", name: form["name"] ?? "", payload: form["payload"] ?? "")
                return ConsoleResponse.redirect("/runs?event=\(HTML.query(event.id))")
            } catch let error as ConsoleRequestError {
                return ConsoleResponse.redirect("/catalog?flash=\(HTML.query("error: \(error)"))")
            }
        }
        router.get("/sources") { request, context in
            ConsoleResponse.html(
                ConsolePages.sources(
                    try store.sources(), csrf: context.csrf, canSetSecrets: actions.canSetSecrets,
                    flash: FormFields(request.uri.query)["flash"]))
        }
        for (path, make) in Self.sourceCommands {
            router.post(RouterPath(stringLiteral: "/sources/\(path)")) { _, context in
                guard let key = context.form["key"] else {
                    return ConsoleResponse.redirect("/sources?flash=\(HTML.query("error: give the source key"))")
                }
                do {
                    let line = try await actions.send(make(context.form), source: key, by: context.actor)
                    return ConsoleResponse.redirect("/sources?flash=\(HTML.query(line))")
                } catch let error as ConsoleRequestError {
                    return ConsoleResponse.redirect("/sources?flash=\(HTML.query("error: \(error)"))")
                }
            }
        }
        router.get("/deliveries") { request, context in
            let refused = FormFields(request.uri.query)["refused"] != nil
            return ConsoleResponse.html(
                ConsolePages.deliveries(try store.deliveries(refusedOnly: refused), refusedOnly: refused, csrf: context.csrf))
        }
        router.get("/deliveries/rows") { request, _ in
            ConsoleResponse.html(
                ConsolePages.deliveryRows(try store.deliveries(refusedOnly: FormFields(request.uri.query)["refused"] != nil)))
        }
        router.get("/audit") { request, context in
            let query = FormFields(request.uri.query)
            return ConsoleResponse.html(
                ConsolePages.audit(try store.audit(target: query["target"], action: query["action"]), csrf: context.csrf))
        }
        router.get("/audit/rows") { request, _ in
            let query = FormFields(request.uri.query)
            return ConsoleResponse.html(ConsolePages.auditRows(try store.audit(target: query["target"], action: query["action"])))
        }
        router.get("/dlq") { request, context in
            ConsoleResponse.html(
                ConsolePages.deadLetters(try store.deadLetters(), csrf: context.csrf, flash: FormFields(request.uri.query)["flash"]))
        }
        router.post("/dlq/replay") { request, context in
            let ids = FormFields(request.uri.query)["only"].map { [$0] } ?? context.form.all("id")
            guard !ids.isEmpty else { return ConsoleResponse.redirect("/dlq?flash=\(HTML.query("error: select a dead letter to replay"))") }
            let lines = try await actions.replay(try store.deadLetters(ids: ids), by: context.actor)
            return ConsoleResponse.redirect(
                "/dlq?flash=\(HTML.query(lines.isEmpty ? "error: no such dead letter" : lines.joined(separator: "; ")))")
        }
    }

    /// The Sources page's buttons: `POST /sources/<path>` with the form's `key` (and `secret`).
    static let sourceCommands: [(String, @Sendable (FormFields) -> ConsoleActions.SourceCommand)] = [
        ("secret", { .setSecret($0.pairs.first { $0.name == "secret" }?.value ?? "") }),
        ("clear-secret", { _ in .clearSecret }),
        ("reregister", { _ in .reregister }),
    ]

    // MARK: Live updates

    /// `GET /events?channel=runs`: server-sent events, one per committed batch that changed the
    /// channel's data (every channel without `channel`); `data` is `{"runs":[ids]}` for runs.
    func events(_ channel: String?) -> Response {
        let wanted = channel.flatMap(ConsoleChannel.init(rawValue:))
        let updates = updates
        let (stream, id) = updates.subscribe()
        let body = ResponseBody { writer in
            // A stream whose client went away ends at its next write, and is forgotten.
            defer { updates.unsubscribe(id) }
            try await writer.write(ByteBuffer(string: "retry: 2000\n: connected\n\n"))
            for await update in stream where wanted == nil || update.channel == wanted {
                let data = JSON.object(["runs": .array(update.runIds.prefix(500).map(JSON.string))]).jsonString
                try await writer.write(ByteBuffer(string: "event: \(update.channel.rawValue)\ndata: \(data)\n\n"))
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }
}

extension ConsoleRequestContext {
    /// The session's CSRF token (empty on the open routes).
    var csrf: String { session?.csrf ?? "" }
    /// Who the session's actions are recorded as on `<p>.audit`.
    var actor: String { session?.actor ?? "console" }
}
