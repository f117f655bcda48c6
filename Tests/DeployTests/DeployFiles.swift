import Foundation
import Yams

/// The repository this test file lives in (Tests/DeployTests/ is two levels down).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A file of the repository as text.
func repositoryText(_ path: String) throws -> String {
    try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
}

/// Every YAML file under deploy/, as repository-relative paths, sorted.
func deployYAMLPaths() throws -> [String] {
    let deploy = repositoryRoot.appendingPathComponent("deploy")
    guard let walker = FileManager.default.enumerator(atPath: deploy.path) else { return [] }
    return walker.compactMap { $0 as? String }
        .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
        .map { "deploy/" + $0 }
        .sorted()
}

/// One YAML document, with the lookups the manifests need.
struct YAMLDocument {
    var file: String
    var root: [AnyHashable: Any]

    var kind: String? { root["kind"] as? String }
    var name: String? { (root["metadata"] as? [AnyHashable: Any])?["name"] as? String }
}

/// Every document of a YAML file (empty documents left out). Throws when the file does not parse.
func yamlDocuments(_ path: String) throws -> [YAMLDocument] {
    var sequence = try Yams.load_all(yaml: repositoryText(path))
    var documents: [YAMLDocument] = []
    while let document = sequence.next() {
        if let root = document as? [AnyHashable: Any] { documents.append(YAMLDocument(file: path, root: root)) }
    }
    // The sequence ends at the first error and keeps it.
    if let error = sequence.error { throw DeployTestError("\(path) does not parse: \(error)") }
    return documents
}

/// Follows a path of mapping keys.
func lookup(_ value: Any?, _ keys: String...) -> Any? {
    var current = value
    for key in keys { current = (current as? [AnyHashable: Any])?[key] }
    return current
}

/// A scalar as the text a program would see in its environment.
func scalarText(_ value: Any?) -> String? {
    switch value {
    case let text as String: text
    case let number as Int: String(number)
    case let number as Double: String(number)
    case let flag as Bool: flag ? "true" : "false"
    default: nil
    }
}
