import Foundation
import Tributary

/// One place deploy/ starts a Tributary program: a compose service or a Kubernetes container.
struct ProgramSetting: CustomStringConvertible {
    /// Where it is, for failure messages: `deploy/compose.yaml services.receiver`.
    var origin: String
    /// The image's arguments: the program (`receiver`, ...) and its own arguments.
    var arguments: [String]
    /// Every variable set for it, with its value as written (secrets: the Secret's value).
    var environment: [String: String]
    /// A port a health check or probe asks, with the path (`/readyz`).
    var healthChecks: [(path: String, port: Int)] = []

    var program: String { arguments.first ?? "" }
    var description: String { "\(origin) (\(arguments.joined(separator: " ")))" }
}

/// The Tributary services of deploy/compose.yaml (every service but Kafka).
func composeSettings() throws -> [ProgramSetting] {
    let file = "deploy/compose.yaml"
    guard let compose = try yamlDocuments(file).first, let services = compose.root["services"] as? [AnyHashable: Any] else {
        throw DeployTestError("\(file) has no services")
    }
    var settings: [ProgramSetting] = []
    for (key, value) in services {
        let name = "\(key)"
        let image = scalarText(lookup(value, "image")) ?? ""
        if image.hasPrefix("apache/kafka") { continue }
        guard image.contains("tributary") else {
            throw DeployTestError("\(file) services.\(name): image \(image) is neither Kafka nor Tributary's")
        }
        let command: [String] =
            switch lookup(value, "command") {
            case let list as [Any]: list.compactMap(scalarText)
            case let text as String: text.split(separator: " ").map(String.init)
            default: []
            }
        var environment: [String: String] = [:]
        switch lookup(value, "environment") {
        case let map as [AnyHashable: Any]:
            for (variable, setting) in map { environment["\(variable)"] = scalarText(setting) ?? "" }
        case let list as [Any]:
            for entry in list.compactMap(scalarText) {
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                environment[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
        default: break
        }
        var setting = ProgramSetting(origin: "\(file) services.\(name)", arguments: command, environment: environment)
        if let test = lookup(value, "healthcheck", "test") as? [Any],
            let url = test.compactMap(scalarText).first(where: { $0.hasPrefix("http") }),
            let parsed = URLComponents(string: url), let port = parsed.port
        {
            setting.healthChecks.append((parsed.path, port))
        }
        settings.append(setting)
    }
    return settings.sorted { $0.origin < $1.origin }
}

/// Every container of deploy/k8s/ (all run the Tributary image), with the variables its env and envFrom set.
func kubernetesSettings() throws -> [ProgramSetting] {
    let documents = try deployYAMLPaths().filter { $0.hasPrefix("deploy/k8s/") }.flatMap(yamlDocuments)
    func data(kind: String, name: String) -> [String: String]? {
        guard let document = documents.first(where: { $0.kind == kind && $0.name == name }) else { return nil }
        var values: [String: String] = [:]
        for field in ["data", "stringData"] {
            for (key, value) in (document.root[field] as? [AnyHashable: Any]) ?? [:] { values["\(key)"] = scalarText(value) ?? "" }
        }
        return values
    }
    var settings: [ProgramSetting] = []
    for document in documents {
        let podSpec: Any? =
            switch document.kind {
            case "Deployment", "StatefulSet", "DaemonSet", "Job": lookup(document.root, "spec", "template", "spec")
            case "CronJob": lookup(document.root, "spec", "jobTemplate", "spec", "template", "spec")
            default: nil
            }
        guard let podSpec else { continue }
        let containers = ((lookup(podSpec, "containers") as? [Any]) ?? []) + ((lookup(podSpec, "initContainers") as? [Any]) ?? [])
        for container in containers {
            let origin =
                "\(document.file) \(document.kind ?? "")/\(document.name ?? "") container \(scalarText(lookup(container, "name")) ?? "?")"
            let image = scalarText(lookup(container, "image")) ?? ""
            let imageName = image.split(separator: "/").last.map { String($0.split(separator: ":")[0]) } ?? ""
            guard imageName == "tributary" else { throw DeployTestError("\(origin): image \(image) is not Tributary's") }
            let arguments = (((lookup(container, "command") as? [Any]) ?? []) + ((lookup(container, "args") as? [Any]) ?? [])).compactMap(
                scalarText)
            var environment: [String: String] = [:]
            for source in (lookup(container, "envFrom") as? [Any]) ?? [] {
                let prefix = scalarText(lookup(source, "prefix")) ?? ""
                let (kind, reference) =
                    lookup(source, "configMapRef") != nil
                    ? ("ConfigMap", lookup(source, "configMapRef")) : ("Secret", lookup(source, "secretRef"))
                let name = scalarText(lookup(reference, "name")) ?? ""
                guard let values = data(kind: kind, name: name) else {
                    throw DeployTestError("\(origin): envFrom names no \(kind) \(name)")
                }
                for (key, value) in values { environment[prefix + key] = value }
            }
            for entry in (lookup(container, "env") as? [Any]) ?? [] {
                guard let name = scalarText(lookup(entry, "name")) else { continue }
                if let value = lookup(entry, "value") {
                    environment[name] = scalarText(value) ?? ""
                    continue
                }
                for (kind, field) in [("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")] {
                    guard let reference = lookup(entry, "valueFrom", field) else { continue }
                    let object = scalarText(lookup(reference, "name")) ?? "", key = scalarText(lookup(reference, "key")) ?? ""
                    guard let value = data(kind: kind, name: object)?[key] else {
                        throw DeployTestError("\(origin): \(name) refers to \(kind) \(object) key \(key), which deploy/k8s does not hold")
                    }
                    environment[name] = value
                }
            }
            var setting = ProgramSetting(origin: origin, arguments: arguments, environment: environment)
            let ports = Dictionary(
                ((lookup(container, "ports") as? [Any]) ?? []).compactMap { port -> (String, Int)? in
                    guard let name = scalarText(lookup(port, "name")), let number = lookup(port, "containerPort") as? Int else {
                        return nil
                    }
                    return (name, number)
                }, uniquingKeysWith: { first, _ in first })
            for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
                guard let get = lookup(container, probe, "httpGet") else { continue }
                let port = lookup(get, "port") as? Int ?? scalarText(lookup(get, "port")).flatMap { ports[$0] } ?? -1
                setting.healthChecks.append((scalarText(lookup(get, "path")) ?? "", port))
            }
            settings.append(setting)
        }
    }
    return settings
}

/// Every place deploy/ starts a Tributary program.
func allSettings() throws -> [ProgramSetting] { try composeSettings() + kubernetesSettings() }

/// A value as the program would get it: compose's `${NAME:-default}` becomes the default, other
/// `${NAME...}` the variable's test value; the secret key (never held in deploy/) a fresh valid one.
func testValue(of variable: String, _ written: String) -> String {
    if variable == "TRIBUTARY_SECRET_KEY" { return testSecretKey }
    guard written.hasPrefix("${"), written.hasSuffix("}") else { return written }
    let inner = written.dropFirst(2).dropLast()
    if let range = inner.range(of: ":-") { return String(inner[range.upperBound...]) }
    return "placeholder"
}

let testSecretKey = SecretSealer.generateKey()
