import Foundation

/// The README's "Configuration" table: the reference for every variable the services read.
struct ConfigurationReference {
    struct Row {
        var variables: [String]
        /// `all`, `receiver`, `registrar`, `runner`, `tool` (the `tributary` program).
        var usedBy: Set<String>
        var isRequired: Bool
        /// The default column, as written.
        var defaults: String = ""
        /// The meaning column, as written.
        var meaning: String = ""
    }

    var rows: [Row]

    /// Parses the table under `## Configuration` in README.md.
    static func fromREADME() throws -> ConfigurationReference {
        let readme = try repositoryText("README.md")
        guard let start = readme.range(of: "\n## Configuration\n") else {
            throw DeployTestError("README.md has no ## Configuration section")
        }
        let section = readme[start.upperBound...].components(separatedBy: "\n## ").first ?? ""
        var rows: [Row] = []
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 5 else { continue }
            let variables = cells[1].split(separator: "`", omittingEmptySubsequences: false).enumerated()
                .filter { $0.offset % 2 == 1 }.map { String($0.element) }
            let usedBy = Set(
                cells[2].split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
                })
            rows.append(
                Row(
                    variables: variables, usedBy: usedBy, isRequired: cells[3].contains("(required"),
                    defaults: cells[3], meaning: cells[4]))
        }
        return ConfigurationReference(rows: rows)
    }

    /// The table's name for who reads a variable: the program, or `tool` for `tributary`.
    static func reader(_ program: String) -> String { program == "tributary" ? "tool" : program }

    /// Whether `program` reads `variable` according to the table (`KAFKA_<NAME>` is the librdkafka passthrough).
    func isRead(_ variable: String, by program: String) -> Bool {
        if variable.hasPrefix("KAFKA_"), rows.contains(where: { $0.variables.contains("KAFKA_<NAME>") }) { return true }
        return rows.contains { $0.variables.contains(variable) && ($0.usedBy.contains("all") || $0.usedBy.contains(Self.reader(program))) }
    }

    /// Whether the table names the variable at all.
    func lists(_ variable: String) -> Bool { rows.contains { $0.variables.contains(variable) } }

    /// The variables `program` cannot start without. The tool needs only what every program needs
    /// (its secret key is for `sources set-secret` alone).
    func required(by program: String) -> [String] {
        rows.filter { row in
            row.isRequired && (row.usedBy.contains("all") || (program != "tributary" && row.usedBy.contains(Self.reader(program))))
        }.flatMap(\.variables)
    }
}

struct DeployTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
