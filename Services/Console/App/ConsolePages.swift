import Foundation
import Tributary
import ServiceSupport
import TributaryIntegrations

/// The console's pages, rendered from the store's rows (every value escaped).
enum ConsolePages {
    typealias H = HTML

    static func login(error: String?, next: String) -> String {
        let message = error.map { "<div class=\"flash error\" id=\"login-error\">\(H.escape($0))</div>" } ?? ""
        return H.page(
            title: "Log in", active: "", csrf: nil,
            body: """
                <form class="login" method="post" action="/login"><h1>Log in</h1>\(message)
                <label for="password">Password</label><input type="password" id="password" name="password" autofocus required>
                <label for="user">Your name <span class="muted">(the audit trail records it)</span></label><input type="text" id="user" name="user" maxlength="64" autocomplete="username">
                <input type="hidden" name="next" value="\(H.escape(next))"><button type="submit" id="login">Log in</button>
                <p class="muted">The password is <code>CONSOLE_PASSWORD</code>; <code>tributary dev</code> prints a login link.</p></form>
                """)
    }

    static func flash(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "" }
        let isError = text.hasPrefix("error:")
        return "<div class=\"flash\(isError ? " error" : "")\" id=\"flash\">\(H.escape(text))</div>"
    }

    // MARK: Runs

    static let statuses = ["started", "waiting", "succeeded", "failed", "dead-lettered", "cancelled", "skipped"]
    static let periods: [(value: String, label: String)] = [
        ("", "any time"), ("15m", "15 minutes"), ("1h", "1 hour"), ("24h", "24 hours"), ("7d", "7 days"),
    ]

    static func runs(query: RunsQuery, rows: [RunSummary], jobIds: [String], csrf: String) -> String {
        func option(_ value: String, _ label: String, _ selected: String?) -> String {
            "<option value=\"\(H.escape(value))\"\(selected == value || (selected == nil && value.isEmpty) ? " selected" : "")>\(H.escape(label))</option>"
        }
        let jobs = ([option("", "every job", query.job)] + jobIds.map { option($0, $0, query.job) }).joined()
        let statuses = ([option("", "every status", query.status)] + Self.statuses.map { option($0, $0, query.status) }).joined()
        let periods = Self.periods.map { option($0.value, $0.label, query.since) }.joined()
        let body = """
            <h1>Runs</h1>
            <form class="filters" method="get" action="/runs">
            <select name="job" aria-label="job">\(jobs)</select><select name="status" aria-label="status">\(statuses)</select>
            <input name="source" placeholder="event source, e.g. stripe.com" value="\(H.escape(query.source ?? ""))">
            <select name="since" aria-label="since">\(periods)</select>
            <input name="event" placeholder="event id" value="\(H.escape(query.eventId ?? ""))"><button type="submit">Filter</button>
            <a href="/runs" class="muted">clear</a></form>
            <table><thead><tr><th>Run</th><th>Job</th><th>Event</th><th>Status</th><th>Attempt</th><th>Started</th><th>Duration</th><th>Note</th></tr></thead>
            <tbody id="runs-body">\(runRows(rows))</tbody></table>
            """
        return H.page(
            title: "Runs", active: "/runs", csrf: csrf, body: body,
            script: H.liveScript(channel: .runs, target: "runs-body", fragment: "/runs/rows"))
    }

    static func runRows(_ rows: [RunSummary]) -> String {
        guard !rows.isEmpty else { return "<tr><td colspan=\"8\" class=\"muted\">No runs yet.</td></tr>" }
        return rows.map { (run) -> String in
            let duration = run.finishedAt.map { $0.timeIntervalSince(run.startedAt) }
            return """
                <tr data-run="\(H.escape(run.runId))" data-status="\(H.escape(run.status))"><td class="mono"><a href="/runs/\(H.escape(H.query(run.runId)))">\(H.escape(run.runId))</a></td>
                <td>\(H.escape(run.jobId)) <span class="muted">\(H.escape(run.jobVersion))</span></td>
                <td>\(H.escape(run.eventName))<br><span class="muted mono">\(H.escape(run.source))/\(H.escape(run.eventId))</span></td>
                <td>\(H.status(run.status))</td><td>\(run.attempt)</td><td>\(H.time(run.startedAt))</td><td>\(H.duration(duration))</td>
                <td>\(H.escape(run.note ?? ""))</td></tr>
                """
        }.joined()
    }

    static func run(_ detail: RunDetail, csrf: String, flash: String?) -> String {
        let run = detail.record
        var actions = ""
        if let letter = detail.deadLetter {
            actions +=
                "<form method=\"post\" action=\"/runs/\(H.escape(H.query(run.runId)))/replay\">\(H.csrfField(csrf))<input type=\"hidden\" name=\"letter\" value=\"\(H.escape(letter.id))\"><button type=\"submit\" id=\"replay\">Replay</button></form>"
        }
        if !run.status.isFinal {
            actions +=
                "<form method=\"post\" action=\"/runs/\(H.escape(H.query(run.runId)))/cancel\">\(H.csrfField(csrf))<button type=\"submit\" class=\"danger\" id=\"cancel\">Cancel</button></form>"
        }
        let properties =
            run.properties.isEmpty
            ? "<p class=\"muted\">No run properties.</p>"
            : "<table class=\"kv\">"
                + run.properties.map { "<tr><td>\(H.escape($0.label))</td><td>\(H.escape($0.text))</td></tr>" }.joined()
                + "</table>"
        let summary = """
            <table class="kv"><tr><td>Job</td><td>\(H.escape(run.jobId)) <span class="muted">\(H.escape(run.jobVersion))</span></td></tr>
            <tr><td>Status</td><td>\(H.status(run.status.rawValue))\(run.reason.map { " <span class=\"muted\">\(H.escape($0))</span>" } ?? "")</td></tr>
            <tr><td>Event</td><td>\(H.escape(run.eventName)) <span class="mono">\(H.escape(run.eventKey))</span></td></tr>
            <tr><td>Attempt</td><td>\(run.attempt)</td></tr><tr><td>Started</td><td>\(H.time(run.startedAt))</td></tr>
            <tr><td>Finished</td><td>\(H.time(run.finishedAt))</td></tr>
            <tr><td>Duration</td><td>\(H.duration(run.finishedAt.map { $0.timeIntervalSince(run.startedAt) }))</td></tr>
            \(run.error.map { "<tr><td>Error</td><td class=\"mono\">\(H.escape($0))</td></tr>" } ?? "")
            \(run.wait.map { "<tr><td>Waits</td><td>\(H.escape($0.task)) until \(H.time($0.until))\($0.events.map { _ in " or an event" } ?? "")</td></tr>" } ?? "")
            </table>
            """
        let payload = (run.event?.payloadBytes ?? detail.deadLetter?.letter.original.value).map(H.prettyJSON)
        let attempts = detail.attempts.map { (attempt) -> String in
            """
            <tr><td>\(attempt.attempt)</td><td>\(H.status(attempt.status.rawValue))</td><td>\(H.time(attempt.startedAt))</td>
            <td>\(H.duration(attempt.finishedAt.map { $0.timeIntervalSince(attempt.startedAt) }))</td><td class="mono">\(H.escape(attempt.error ?? ""))</td></tr>
            """
        }.joined()
        let logs =
            run.logs.isEmpty
            ? "<p class=\"muted\">No log lines.</p>"
            : "<pre id=\"logs\">"
                + run.logs.map { (line) -> String in
                    let metadata = line.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                    return H.escape(
                        "\(RFC3339.string(from: line.time)) \(line.level.uppercased()) \(line.message)\(metadata.isEmpty ? "" : " " + metadata)"
                    )
                }.joined(separator: "\n") + "</pre>"
        let body = """
            <h1>Run <span class="mono">\(H.escape(run.runId))</span></h1>\(Self.flash(flash))
            <div class="actions">\(actions)<a href="/runs?event=\(H.escape(H.query(run.eventId)))" class="muted">runs of this event</a></div>
            <div class="grid2"><div><h2>Summary</h2>\(summary)</div><div><h2>Run properties</h2>\(properties)</div></div>
            <h2>Timeline</h2>\(timeline(run))
            <h2>Attempts</h2><table><thead><tr><th>#</th><th>Status</th><th>Started</th><th>Duration</th><th>Error</th></tr></thead><tbody>\(attempts)</tbody></table>
            <h2>Logs</h2>\(logs)
            <h2>Payload</h2><div id="payload-box">\(payload.map { "<pre id=\"payload\">\(H.escape($0))</pre>" } ?? "<button type=\"button\" class=\"secondary\" id=\"load-payload\" onclick=\"fetch('/runs/\(H.escape(H.query(run.runId)))/payload',{credentials:'same-origin'}).then(function(r){return r.text()}).then(function(t){document.getElementById('payload-box').innerHTML=t})\">Load the payload from the events topic</button>")</div>
            """
        return H.page(
            title: "Run \(run.runId)", active: "/runs", csrf: csrf, body: body,
            script: """
                (function(){var source=new EventSource('/events?channel=runs');var opened=false;source.onopen=function(){if(opened){window.location.reload();}opened=true;};source.addEventListener('runs',function(e){try{var d=JSON.parse(e.data);if((d.runs||[]).indexOf(\(jsString(run.runId)))>=0){window.location.reload();}}catch(x){}});})();
                """)
    }

    /// The run's tasks and waits as bars on one time axis from the attempt's start.
    static func timeline(_ run: RunRecord) -> String {
        guard !run.tasks.isEmpty || run.wait != nil else { return "<p class=\"muted\">No tasks or waits.</p>" }
        let start = min(run.startedAt, run.tasks.map(\.startedAt).min() ?? run.startedAt)
        let ends = run.tasks.map { $0.finishedAt ?? $0.resumeAt ?? $0.startedAt } + [run.finishedAt ?? Date(), run.wait?.until ?? start]
        let end = max(ends.max() ?? start, start.addingTimeInterval(0.001))
        let span = end.timeIntervalSince(start)
        func bar(_ from: Date, _ to: Date?, _ kind: String) -> String {
            let left = max(0, from.timeIntervalSince(start) / span * 100)
            let width = max(0.5, ((to ?? end).timeIntervalSince(from)) / span * 100)
            return
                "<div class=\"bar\"><span class=\"\(kind)\" style=\"left:\(String(format: "%.2f", left))%;width:\(String(format: "%.2f", min(width, 100 - left)))%\"></span></div>"
        }
        var rows = run.tasks.map { (task) -> String in
            let isWait = task.resumeAt != nil || task.waitFor != nil
            let to = task.finishedAt ?? task.resumeAt
            return """
                <tr><td class="mono">\(H.escape(task.key))</td><td>\(isWait ? "wait" : "task")</td><td>\(H.escape(task.status.rawValue))</td>
                <td>\(task.attempts)</td><td>\(H.duration(to.map { $0.timeIntervalSince(task.startedAt) }))</td>
                <td>\(bar(task.startedAt, to, isWait ? "wait" : (task.status == .failed ? "failed" : "")))</td></tr>
                """
        }
        if let wait = run.wait, !run.tasks.contains(where: { $0.key == wait.task }) {
            rows.append(
                """
                <tr><td class="mono">\(H.escape(wait.task))</td><td>wait</td><td>waiting</td><td>–</td>
                <td>until \(H.time(wait.until))</td><td>\(bar(run.finishedAt ?? run.startedAt, wait.until, "wait"))</td></tr>
                """)
        }
        return
            "<table><thead><tr><th>Key</th><th>Kind</th><th>Status</th><th>Attempts</th><th>Duration</th><th>Timeline (\(H.duration(span)))</th></tr></thead><tbody>\(rows.joined())</tbody></table>"
    }

    static func jsString(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
    }

    // MARK: Jobs

    static func jobs(_ rows: [JobRow], csrf: String) -> String {
        let body = rows.map { (job) -> String in
            let declaration = job.declaration
            let trigger =
                declaration.schedule.map { "schedule \(H.escape("\($0)"))" }
                ?? "\(H.escape(declaration.eventSource)): \(H.escape(declaration.events.joined(separator: ", ")))"
            let source = declaration.source.map { H.escape("\($0)") } ?? "–"
            let filter = (try? JSONEncoder().encode(declaration.filter)).map { H.escape(String(decoding: $0, as: UTF8.self)) } ?? ""
            let runners =
                job.runners.isEmpty
                ? "<span class=\"muted\">no live runner</span>"
                : job.runners.map { "\(H.escape($0.runnerId)) <span class=\"muted\">\(H.escape($0.host)) v\(H.escape($0.version))</span>" }
                    .joined(
                        separator: "<br>")
            let counts = job.runs.sorted { $0.key < $1.key }.map { "\(H.status($0.key)) \($0.value)" }.joined(separator: " ")
            return """
                <tr data-job="\(H.escape(declaration.jobId))"><td><a href="/runs?job=\(H.escape(H.query(declaration.jobId)))">\(H.escape(declaration.jobId))</a><br><span class="muted">\(H.escape(declaration.jobName))</span></td>
                <td>\(H.escape(declaration.version))</td><td>\(trigger)</td><td class="mono">\(source)</td><td class="mono">\(filter)</td>
                <td>\(runners)</td><td>\(counts.isEmpty ? "<span class=\"muted\">none</span>" : counts)</td><td>\(H.time(job.lastRunAt))</td></tr>
                """
        }.joined()
        return H.page(
            title: "Jobs", active: "/jobs", csrf: csrf,
            body: """
                <h1>Jobs</h1><table><thead><tr><th>Job</th><th>Version</th><th>Trigger</th><th>Source</th><th>Filter</th><th>Hosted by</th><th>Runs</th><th>Last run</th></tr></thead>
                <tbody>\(body.isEmpty ? "<tr><td colspan=\"8\" class=\"muted\">No job declared yet: start a runner.</td></tr>" : body)</tbody></table>
                """)
    }

    // MARK: Testing UI

    static func catalog(_ events: [ProviderEvent], csrf: String, flash: String?) -> String {
        let cards = events.flatMap { (event) -> [String] in
            event.names.map { (name) -> String in
                let title = event.title ?? name
                let icon = event.icon ?? event.source
                let examples =
                    event.examples.isEmpty
                    ? "<p class=\"muted\">No example: write a payload.</p>"
                        + testForm(event: event, name: name, label: "payload", payload: "{}", csrf: csrf)
                    : event.examples.map { (example) -> String in
                        "<details\(example.id == event.examples.first?.id ? " open" : "")><summary>\(H.escape(example.name))</summary>"
                            + testForm(
                                event: event, name: name, label: example.id, payload: H.prettyJSON(example.payload.encoded()), csrf: csrf)
                            + "</details>"
                    }.joined()
                return """
                    <div class="card" id="event-\(H.escape(name))" data-event="\(H.escape(name))" data-source="\(H.escape(event.source))">
                    <h3><span class="icon" title="\(H.escape(icon))">\(H.escape(String(icon.prefix(2))))</span>\(H.escape(title))</h3>
                    <p class="muted mono">\(H.escape(name)) · \(H.escape(event.source))</p>\(examples)</div>
                    """
            }
        }.joined()
        return H.page(
            title: "Testing", active: "/catalog", csrf: csrf,
            body: """
                <h1>Testing</h1>\(Self.flash(flash))<p class="muted">Every event specification the deployment knows. <b>Run test</b> publishes the payload to the events topic as a new event and opens its runs.</p>
                <div class="cards">\(cards)</div>
                """)
    }

    static func testForm(event: ProviderEvent, name: String, label: String, payload: String, csrf: String) -> String {
        """
        <form method="post" action="/catalog/run" data-example="\(H.escape(label))">\(H.csrfField(csrf))
        <input type="hidden" name="source" value="\(H.escape(event.source))"><input type="hidden" name="name" value="\(H.escape(name))">
        <textarea name="payload" aria-label="payload">\(H.escape(payload))</textarea>
        <button type="submit" class="run-test">Run test</button></form>
        """
    }

    // MARK: Sources, deliveries, dead letters

    static func sources(_ rows: [SourceRow], csrf: String, canSetSecrets: Bool, flash: String?) -> String {
        func button(_ path: String, _ key: String, _ label: String, _ extra: String = "") -> String {
            "<form method=\"post\" action=\"/sources/\(path)\" class=\"inline\">\(H.csrfField(csrf))<input type=\"hidden\" name=\"key\" value=\"\(H.escape(key))\">\(extra)<button type=\"submit\" class=\"secondary\" data-action=\"\(path)\">\(H.escape(label))</button></form>"
        }
        let body = rows.map { (row) -> String in
            let source = row.source
            let state = source.lastError != nil ? "failed" : (source.active ? "registered" : "inactive")
            let events = source.registered.sorted { $0.key < $1.key }.map {
                "\(H.escape($0.key)): \(H.escape($0.value.joined(separator: ", ")))"
            }.joined(
                separator: "<br>")
            return """
                <tr data-source="\(H.escape(source.key))"><td class="mono">\(H.escape(source.key))</td><td>\(H.escape(source.sourceId))</td><td>\(H.escape(source.channel))</td>
                <td>\(H.status(state))</td><td>\(events.isEmpty ? "<span class=\"muted\">none</span>" : events)</td>
                <td>\(source.hasSecret ? "held" : "<span class=\"muted\">none</span>")</td>
                <td>\(source.lastError.map { "\(H.escape($0)) <span class=\"muted\">\(H.time(source.lastErrorAt))</span>" } ?? "–")</td>
                <td>\(H.time(row.lastDelivery))</td><td>\(H.time(source.updatedAt))</td>
                <td>\(button("reregister", source.key, "Re-register"))\(source.hasSecret ? button("clear-secret", source.key, "Clear secret") : "")\(canSetSecrets ? button("secret", source.key, "Set secret", "<input type=\"password\" name=\"secret\" placeholder=\"whsec_…\" aria-label=\"secret\" autocomplete=\"off\">") : "")</td></tr>
                """
        }.joined()
        return H.page(
            title: "Sources", active: "/sources", csrf: csrf,
            body: """
                <h1>Sources</h1>\(Self.flash(flash))<p class="muted">What the registrar wrote on the sources topic. A secret is never shown: only whether one is held. The buttons send the registrar's leader a command, as <code>tributary sources</code> does\(canSetSecrets ? "" : "; setting a secret here needs <code>TRIBUTARY_SECRET_KEY</code>").</p>
                <table><thead><tr><th>Key</th><th>Source</th><th>Channel</th><th>State</th><th>Registered</th><th>Secret</th><th>Last error</th><th>Last delivery</th><th>Updated</th><th></th></tr></thead>
                <tbody>\(body.isEmpty ? "<tr><td colspan=\"10\" class=\"muted\">No sources yet.</td></tr>" : body)</tbody></table>
                """)
    }

    static func deliveries(_ rows: [DeliveryRow], refusedOnly: Bool, csrf: String) -> String {
        H.page(
            title: "Deliveries", active: "/deliveries", csrf: csrf,
            body: """
                <h1>Deliveries</h1><p>\(refusedOnly ? "<a href=\"/deliveries\">all</a> · <b>refused</b>" : "<b>all</b> · <a href=\"/deliveries?refused=1\">refused</a>")</p>
                <table><thead><tr><th>Received</th><th>Source key</th><th>Outcome</th><th>Status</th><th>Bytes</th><th>Events</th><th>Reason</th></tr></thead>
                <tbody id="deliveries-body">\(deliveryRows(rows))</tbody></table>
                """,
            script: H.liveScript(channel: .deliveries, target: "deliveries-body", fragment: "/deliveries/rows"))
    }

    static func audit(_ rows: [AuditRecord], csrf: String) -> String {
        H.page(
            title: "Audit", active: "/audit", csrf: csrf,
            body: """
                <h1>Audit trail</h1><p class="muted">Who changed what, newest first: commands the registrar applied, and the replays, cancellations, rewinds and erasures the tool and this console carried out. No entry holds a secret.</p>
                <table><thead><tr><th>When</th><th>Who</th><th>Action</th><th>Target</th><th>Outcome</th><th>Message</th></tr></thead>
                <tbody id="audit-body">\(auditRows(rows))</tbody></table>
                """,
            script: H.liveScript(channel: .audit, target: "audit-body", fragment: "/audit/rows"))
    }

    /// The audit table's rows (the page's live refresh fetches them alone).
    static func auditRows(_ rows: [AuditRecord]) -> String {
        guard !rows.isEmpty else { return "<tr><td colspan=\"6\" class=\"muted\">No audit entries.</td></tr>" }
        return rows.map { entry in
            let outcome = entry.outcome == .ok ? "succeeded" : (entry.outcome == .unanswered ? "waiting" : "failed")
            return """
                <tr data-action="\(H.escape(entry.action))"><td>\(H.time(entry.at))</td><td class="mono">\(H.escape(entry.actor))</td>
                <td>\(H.escape(entry.action))</td><td class="mono">\(H.escape(entry.target))</td>
                <td><span class="status status-\(outcome)">\(H.escape(entry.outcome.rawValue))</span></td><td>\(H.escape(entry.message))</td></tr>
                """
        }.joined()
    }

    /// The deliveries table's rows (the page's live refresh fetches them alone).
    static func deliveryRows(_ rows: [DeliveryRow]) -> String {
        guard !rows.isEmpty else { return "<tr><td colspan=\"7\" class=\"muted\">No deliveries recorded.</td></tr>" }
        return rows.map { (row) -> String in
            let delivery = row.delivery
            let bodyText =
                delivery.body.map {
                    "<details><summary>body\(delivery.bodyTruncated ? " (cut)" : "")</summary><pre>\(H.escape(H.prettyJSON(Array($0.utf8))))</pre></details>"
                } ?? ""
            let unrecorded =
                delivery.unrecorded > 0 ? "<br><span class=\"muted\">+\(delivery.unrecorded) refused, counted not recorded</span>" : ""
            return """
                <tr data-outcome="\(H.escape(delivery.outcome.rawValue))"><td>\(H.time(delivery.receivedAt))</td><td class="mono">\(H.escape(delivery.sourceKey))</td>
                <td>\(H.status(delivery.outcome.isRefused ? "refused" : "accepted")) \(H.escape(delivery.outcome.rawValue))</td><td>\(delivery.status)</td>
                <td>\(delivery.size)</td><td class="mono">\(H.escape(delivery.eventIds.joined(separator: ", ")))</td>
                <td>\(H.escape(delivery.reason ?? ""))\(unrecorded)\(bodyText)</td></tr>
                """
        }.joined()
    }

    static func deadLetters(_ rows: [DeadLetterRow], csrf: String, flash: String?) -> String {
        let body = rows.map { (row) -> String in
            let letter = row.letter
            let replayOf = letter.original.headerString(Replay.originalHeader)
            return """
                <tr data-letter="\(H.escape(row.id))"><td><input type="checkbox" name="id" value="\(H.escape(row.id))" aria-label="select"></td><td>\(H.time(letter.failedAt))</td>
                <td class="mono">\(H.escape(letter.original.keyString ?? "–"))\(replayOf.map { "<br><span class=\"muted\">replay of \(H.escape($0))</span>" } ?? "")</td>
                <td>\(H.escape(letter.jobId ?? "–"))</td><td class="mono">\(letter.runId.map { "<a href=\"/runs/\(H.escape(H.query($0)))\">\(H.escape($0))</a>" } ?? "–")</td>
                <td>\(letter.attempts)</td><td>\(H.escape(letter.reason))</td>
                <td><button type="submit" class="secondary replay-one" formaction="/dlq/replay?only=\(H.escape(H.query(row.id)))">Replay</button></td></tr>
                """
        }.joined()
        return H.page(
            title: "Dead letters", active: "/dlq", csrf: csrf,
            body: """
                <h1>Dead letters</h1>\(Self.flash(flash))<form method="post" action="/dlq/replay">\(H.csrfField(csrf))
                <div class="actions"><button type="submit" id="replay-selected">Replay selected</button></div>
                <table><thead><tr><th></th><th>Failed</th><th>Event</th><th>Job</th><th>Run</th><th>Attempts</th><th>Reason</th><th></th></tr></thead>
                <tbody>\(body.isEmpty ? "<tr><td colspan=\"8\" class=\"muted\">No dead letters.</td></tr>" : body)</tbody></table></form>
                """)
    }
}

/// The runs list's query string: `job`, `status`, `source`, `since` (`15m`, `1h`, `24h`, `7d`),
/// `event` (an event id) and `before` (RFC 3339, the next page).
struct RunsQuery: Sendable, Hashable {
    var job: String?
    var status: String?
    var source: String?
    var since: String?
    var eventId: String?
    var before: String?

    init(_ parameters: [String: String]) {
        func value(_ name: String) -> String? {
            guard let text = parameters[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        job = value("job"); status = value("status"); source = value("source"); since = value("since")
        eventId = value("event"); before = value("before")
    }

    /// The filter, or why the query is wrong (a bad `status`, `since` or `before`).
    func filter(now: Date = Date(), limit: Int = 50) throws(ConsoleRequestError) -> RunFilter {
        if let status, !ConsolePages.statuses.contains(status) {
            throw ConsoleRequestError("status=\(status) is not one of \(ConsolePages.statuses.joined(separator: ", "))")
        }
        var filter = RunFilter(job: job, status: status, source: source, eventId: eventId, limit: limit)
        if let since {
            guard let duration = ConsoleRequestError.parseDuration(since) else {
                throw ConsoleRequestError("since=\(since) is not a duration such as 15m, 1h, 24h or 7d")
            }
            filter.since = now.addingTimeInterval(-duration)
        }
        if let before {
            guard let date = RFC3339.date(from: before) else { throw ConsoleRequestError("before=\(before) is not an RFC 3339 time") }
            filter.before = date
        }
        return filter
    }
}

/// A request the console refuses with 400 and this message.
struct ConsoleRequestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }

    /// `15m`, `1h`, `24h`, `7d` or seconds, in seconds.
    static func parseDuration(_ text: String) -> TimeInterval? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            if let number = Double(text.dropLast(suffix.count)), number > 0 { return number * seconds }
        }
        return Double(text).flatMap { $0 > 0 ? $0 : nil }
    }
}
