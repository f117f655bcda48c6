/// Hides secrets that travel in URLs (the `url-token` preset's `?token=`) before a URL or path is
/// logged, recorded or used as a label. The receiver derives source keys and metrics labels from the
/// path only, never the query; whatever else shows a request's path or URL (the deliveries log, trace
/// attributes such as `url.full` or `url.query`) must pass it through ``redact(_:)`` first.
public enum SecretRedaction {
    /// The query parameters whose values are secrets.
    public static let secretParameters: Set<String> = [URLTokenScheme.parameter]

    /// What a redacted value becomes.
    public static let mask = "REDACTED"

    /// `urlOrPath` with the value of every secret query parameter replaced by ``mask``, e.g.
    /// `/sources/url-token.acme?token=s3cret&x=1` → `/sources/url-token.acme?token=REDACTED&x=1`.
    public static func redact(_ urlOrPath: String) -> String {
        guard let question = urlOrPath.firstIndex(of: "?") else { return urlOrPath }
        let base = urlOrPath[..<question]
        let rest = urlOrPath[urlOrPath.index(after: question)...]
        let (query, fragment) = rest.firstIndex(of: "#").map { (rest[..<$0], String(rest[$0...])) } ?? (rest, "")
        let parts = query.split(separator: "&", omittingEmptySubsequences: false).map { part -> String in
            let name = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let decoded = name.removingPercentEncoding ?? name
            return secretParameters.contains(decoded) ? "\(name)=\(mask)" : String(part)
        }
        return base + "?" + parts.joined(separator: "&") + fragment
    }

    /// The percent-decoded values of the query parameter `name` in `urlOrPath`, in order.
    static func queryValues(_ name: String, in urlOrPath: String) -> [String] {
        guard let question = urlOrPath.firstIndex(of: "?") else { return [] }
        var query = urlOrPath[urlOrPath.index(after: question)...]
        if let hash = query.firstIndex(of: "#") { query = query[..<hash] }
        return query.split(separator: "&").compactMap { part in
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(pieces[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            guard key == name else { return nil }
            let value = pieces.count > 1 ? String(pieces[1]) : ""
            return value.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? value
        }
    }
}
