import Foundation
import Tributary
import Yams

/// What deploy/'s Prometheus alert rules and Grafana dashboard name, and what a `/metrics` page exports.
enum DeployMetrics {
    /// One alert rule of deploy/prometheus/alerts.yaml.
    struct Alert {
        var name: String
        var expression: String
        /// `docs/operations.md#<anchor>`.
        var runbook: String
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The alert rules; throws if the file does not parse as Prometheus rule groups.
    static func alertRules() throws -> [Alert] {
        let text = try String(contentsOf: root.appendingPathComponent("deploy/prometheus/alerts.yaml"), encoding: .utf8)
        guard let document = try Yams.load(yaml: text) as? [String: Any], let groups = document["groups"] as? [[String: Any]] else {
            throw SystemTestError("deploy/prometheus/alerts.yaml has no groups")
        }
        return try groups.flatMap { group in
            try (group["rules"] as? [[String: Any]] ?? []).map { rule in
                guard let name = rule["alert"] as? String, let expression = rule["expr"] as? String,
                    let runbook = (rule["annotations"] as? [String: Any])?["runbook"] as? String
                else { throw SystemTestError("a rule without alert, expr or a runbook annotation: \(rule)") }
                return Alert(name: name, expression: expression, runbook: runbook)
            }
        }
    }

    /// `docs/operations.md#<anchor>` of every heading of docs/operations.md (GitHub's anchors).
    static func runbookAnchors() throws -> Set<String> {
        let text = try String(contentsOf: root.appendingPathComponent("docs/operations.md"), encoding: .utf8)
        return Set(
            text.split(separator: "\n").filter { $0.hasPrefix("#") }.map { heading in
                let title = heading.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces).lowercased()
                let anchor = title.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == " " }.replacingOccurrences(of: " ", with: "-")
                return "docs/operations.md#\(anchor)"
            })
    }

    /// Each panel target's expression of the dashboard, with the panel's title; throws if the JSON does not parse.
    static func dashboardExpressions() throws -> [(String, String)] {
        let bytes = try Data(contentsOf: root.appendingPathComponent("deploy/grafana/tributary-dashboard.json"))
        let dashboard = try JSON(parsing: Array(bytes))
        return (dashboard["panels"]?.arrayValue ?? []).flatMap { panel in
            (panel["targets"]?.arrayValue ?? []).compactMap { target in
                target["expr"]?.stringValue.map { (panel["title"]?.stringValue ?? "?", $0) }
            }
        }
    }

    /// The metric names of a PromQL expression: its identifiers starting `tributary_` or `process_`.
    static func metricNames(in expression: String) -> Set<String> {
        let pattern = try! NSRegularExpression(pattern: #"\b(?:tributary|process)_[a-zA-Z0-9_]+"#)
        return Set(
            pattern.matches(in: expression, range: NSRange(expression.startIndex..., in: expression)).compactMap {
                Range($0.range, in: expression).map { String(expression[$0]) }
            })
    }

    /// The sample names of a Prometheus text page (`name{labels} value` or `name value`).
    static func sampleNames(_ text: String) -> Set<String> {
        Set(
            text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
                line.split(whereSeparator: { $0 == "{" || $0 == " " }).first.map(String.init)
            })
    }
}
