import Foundation
import Tributary

/// Building the console's pages as text: escaping, the shared layout (navigation, styles, the
/// live-update script), and formats for times and durations. Everything a page needs ships here:
/// no outside stylesheet, script or font.
enum HTML {
    /// `text` escaped for an element's content or a quoted attribute.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// `text` percent-encoded for a URL's query value.
    static func query(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// The pages in the navigation: path and label.
    static let navigation: [(path: String, label: String)] = [
        ("/runs", "Runs"), ("/jobs", "Jobs"), ("/catalog", "Testing"), ("/sources", "Sources"), ("/deliveries", "Deliveries"),
        ("/dlq", "Dead letters"), ("/audit", "Audit"),
    ]

    /// A whole page: the navigation (with `active` marked), a logout button carrying the CSRF token,
    /// `body`, and `script` at the end.
    static func page(title: String, active: String, csrf: String?, body: String, script: String = "") -> String {
        let links = navigation.map { (item) -> String in
            "<a href=\"\(item.path)\"\(item.path == active ? " class=\"active\"" : "")>\(escape(item.label))</a>"
        }.joined()
        let logout =
            csrf.map {
                "<form method=\"post\" action=\"/logout\" class=\"logout\"><input type=\"hidden\" name=\"csrf\" value=\"\(escape($0))\"><button type=\"submit\" id=\"logout\">Log out</button></form>"
            } ?? ""
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · Tributary</title><style>\(styles)</style></head>
            <body><header><span class="brand">Tributary</span><nav>\(csrf == nil ? "" : links)</nav>\(logout)</header>
            <main>\(body)</main>\(script.isEmpty ? "" : "<script>\(script)</script>")</body></html>
            """
    }

    /// A status as a coloured badge.
    static func status(_ status: String) -> String {
        "<span class=\"status status-\(escape(status))\">\(escape(status))</span>"
    }

    /// A time as `2026-12-01 13:42:41Z`, with the full RFC 3339 text as its title.
    static func time(_ date: Date?) -> String {
        guard let date else { return "–" }
        let text = RFC3339.string(from: date)
        let short = text.replacingOccurrences(of: "T", with: " ").prefix(19)
        return "<time datetime=\"\(escape(text))\" title=\"\(escape(text))\">\(escape(String(short)))</time>"
    }

    /// A duration in seconds as `350 ms`, `4.2 s`, `3 m 4 s`, `2 h 5 m`.
    static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds >= 0 else { return "–" }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        if seconds < 3600 { return "\(Int(seconds) / 60) m \(Int(seconds) % 60) s" }
        if seconds < 86_400 { return "\(Int(seconds) / 3600) h \(Int(seconds) % 3600 / 60) m" }
        return "\(Int(seconds) / 86_400) d \(Int(seconds) % 86_400 / 3600) h"
    }

    /// JSON bytes pretty-printed (or as they are, when not JSON).
    static func prettyJSON(_ bytes: [UInt8]) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
            let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed])
        else { return String(decoding: bytes, as: UTF8.self) }
        return String(decoding: pretty, as: UTF8.self)
    }

    /// A hidden CSRF field for a form.
    static func csrfField(_ csrf: String) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(escape(csrf))\">"
    }

    /// The script of a page that refreshes `target`'s content from `fragment` (plus the page's query)
    /// when the server announces a change of `channel`, and each time the stream (re)opens: what changed
    /// between the page's rendering and the stream's opening is not missed.
    static func liveScript(channel: ConsoleChannel, target: String, fragment: String) -> String {
        """
        (function(){var timer=null;var source=new EventSource('/events?channel=\(channel.rawValue)');
        function refresh(){timer=null;fetch('\(fragment)'+window.location.search,{credentials:'same-origin'}).then(function(r){return r.ok?r.text():null}).then(function(t){if(t!==null){document.getElementById('\(target)').innerHTML=t;document.body.dataset.refreshed=String(Date.now());}});}
        source.addEventListener('\(channel.rawValue)',function(){if(!timer){timer=setTimeout(refresh,150);}});
        source.onopen=function(){document.body.dataset.live='open';refresh();};})();
        """
    }

    static let styles = """
        :root{--fg:#1d2330;--muted:#667085;--line:#e4e7ec;--bg:#f7f8fa;--accent:#3d5afe}
        *{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
        header{display:flex;align-items:center;gap:24px;padding:10px 24px;background:#111827;color:#fff}
        .brand{font-weight:700;letter-spacing:.02em}nav a{color:#cbd5e1;text-decoration:none;margin-right:16px}nav a.active,nav a:hover{color:#fff}
        .logout{margin-left:auto}.logout button{background:none;border:1px solid #475467;color:#e4e7ec;border-radius:6px;padding:4px 10px;cursor:pointer}
        main{padding:20px 24px;max-width:1400px}h1{font-size:20px;margin:0 0 14px}h2{font-size:16px;margin:22px 0 8px}
        table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);border-radius:8px}
        th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}th{font-size:12px;color:var(--muted);font-weight:600;background:#fbfcfd}
        td.mono,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
        a{color:var(--accent)}pre{background:#0f172a;color:#e2e8f0;padding:12px;border-radius:8px;overflow:auto;font-size:12px;max-height:480px}
        .status{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;background:#eef2f6;color:#344054}
        .status-succeeded,.status-accepted{background:#dcfce7;color:#166534}.status-failed,.status-dead-lettered{background:#fee2e2;color:#991b1b}
        .status-started{background:#dbeafe;color:#1e40af}.status-waiting{background:#fef3c7;color:#92400e}.status-cancelled,.status-skipped{background:#e5e7eb;color:#374151}
        .status-refused{background:#fee2e2;color:#991b1b}
        form.filters{display:flex;gap:8px;flex-wrap:wrap;margin-bottom:12px}input,select,textarea{font:inherit;padding:5px 8px;border:1px solid #d0d5dd;border-radius:6px;background:#fff}
        button{font:inherit;padding:5px 12px;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
        button.secondary{background:#fff;color:var(--accent)}button.danger{background:#b42318;border-color:#b42318}
        .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:14px}
        .card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:14px}.card h3{margin:0 0 4px;font-size:15px;display:flex;align-items:center;gap:8px}
        .icon{display:inline-flex;width:24px;height:24px;border-radius:6px;align-items:center;justify-content:center;font-size:12px;font-weight:700;color:#fff;background:#6366f1;text-transform:uppercase}
        .muted{color:var(--muted)}textarea{width:100%;min-height:120px;font-family:ui-monospace,Menlo,monospace;font-size:12px}
        .grid2{display:grid;grid-template-columns:1fr 1fr;gap:16px}.kv td:first-child{color:var(--muted);width:180px}
        .bar{position:relative;height:14px;background:#eef2f6;border-radius:4px;min-width:200px}.bar span{position:absolute;top:0;height:14px;border-radius:4px;background:#60a5fa}
        .bar span.wait{background:#fbbf24}.bar span.failed{background:#f87171}.actions{display:flex;gap:8px;margin:8px 0 16px}
        .flash{padding:8px 12px;border-radius:8px;background:#ecfdf3;border:1px solid #abefc6;margin-bottom:12px}.flash.error{background:#fef3f2;border-color:#fecdca}
        form.inline{display:inline-flex;gap:4px;margin:0 4px 4px 0}form.inline input{width:120px}
        .login{max-width:360px;margin:80px auto;background:#fff;border:1px solid var(--line);border-radius:10px;padding:24px}.login input{width:100%;margin:8px 0 12px}
        """
}
