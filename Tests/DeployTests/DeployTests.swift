import Foundation
import TributaryKafka
import ServiceSupport
import ExampleJobs
import TestSupport
import Testing
import TributaryConsole
import TributaryIntegrations
import TributaryReceiver
import TributaryRegistrar
import TributaryRunner

/// deploy/ checked against the code, since no container engine runs here: the YAML parses, the
/// variables set are ones the programs read (README's Configuration table), required ones are set
/// and load, and every command the image, compose and Kubernetes run exists.
@Suite struct DeployTests {
    @Test func everyYAMLFileParses() throws {
        let paths = try deployYAMLPaths()
        #expect(paths.contains("deploy/compose.yaml"))
        #expect(paths.contains("deploy/k8s/kustomization.yaml"))
        for path in paths {
            do { #expect(try !yamlDocuments(path).isEmpty, "\(path) is empty") } catch { Issue.record("\(error)") }
        }
        // Every resource Kustomize is told about exists.
        let kustomization = try #require(try yamlDocuments("deploy/k8s/kustomization.yaml").first)
        for resource in (kustomization.root["resources"] as? [Any] ?? []).compactMap(scalarText) {
            #expect(paths.contains("deploy/k8s/\(resource)"), "kustomization.yaml names missing \(resource)")
        }
    }

    @Test func theManifestsStartEveryService() throws {
        let compose = Set(try composeSettings().map(\.program))
        let kubernetes = Set(try kubernetesSettings().map(\.program))
        #expect(compose == ["receiver", "registrar", "runner", "console", "tributary"])
        #expect(kubernetes == ["receiver", "registrar", "runner", "console", "tributary"])
    }

    @Test func everyVariableSetIsOneTheProgramReads() throws {
        let reference = try ConfigurationReference.fromREADME()
        let unknown = try unknownVariables(in: allSettings(), reference: reference)
        #expect(unknown.isEmpty, "set but not read by the program (README Configuration table): \(unknown)")
    }

    @Test func anUnknownVariableIsCaught() throws {
        let reference = try ConfigurationReference.fromREADME()
        var settings = try allSettings()
        settings[0].environment["RECEIVER_PROT"] = "8080"
        settings[1].environment["RUNNER_ADMIN_PORT"] = "9090"  // read, but only by the runner
        #expect(unknownVariables(in: settings, reference: reference).count == 2)
        #expect(!reference.isRead("RECEIVER_PROT", by: "receiver"))
        #expect(!reference.isRead("RUNNER_ADMIN_PORT", by: "receiver"))
        #expect(reference.isRead("KAFKA_SECURITY_PROTOCOL", by: "runner"))
    }

    @Test func everyRequiredVariableIsSet() throws {
        let reference = try ConfigurationReference.fromREADME()
        #expect(Set(reference.required(by: "registrar")) == ["KAFKA_BROKERS", "TRIBUTARY_SECRET_KEY", "PUBLIC_URL"])
        #expect(Set(reference.required(by: "receiver")) == ["KAFKA_BROKERS", "TRIBUTARY_SECRET_KEY"])
        #expect(Set(reference.required(by: "runner")) == ["KAFKA_BROKERS"])
        #expect(Set(reference.required(by: "console")) == ["KAFKA_BROKERS", "TRIBUTARY_SECRET_KEY", "CONSOLE_PASSWORD"])
        for setting in try allSettings() {
            for variable in reference.required(by: setting.program) {
                let given = setting.environment[variable].map { !$0.isEmpty } ?? false
                let flag = variable == "KAFKA_BROKERS" && setting.arguments.contains("--brokers")
                #expect(given || flag, "\(setting): \(variable) is required and not set")
            }
        }
    }

    /// Each program's own configuration loader accepts what the manifests set (ports, durations,
    /// librdkafka properties, URLs), and the health checks ask the port the program listens on.
    @Test func theProgramsLoadTheirConfiguration() throws {
        for setting in try allSettings() {
            let environment = Dictionary(uniqueKeysWithValues: setting.environment.map { ($0.key, testValue(of: $0.key, $0.value)) })
            var port: Int?
            do {
                switch setting.program {
                case "receiver":
                    port = try ReceiverConfiguration.fromEnvironment(ServiceEnvironment(environment)).port
                case "registrar":
                    port = try RegistrarConfiguration.fromEnvironment(ServiceEnvironment(environment)).adminPort
                    _ = try IntegrationCatalog.fromEnvironment(environment)
                case "runner":
                    port = try RunnerConfiguration.fromEnvironment(ServiceEnvironment(environment)).adminPort
                case "console":
                    let console = try ConsoleConfiguration.fromEnvironment(ServiceEnvironment(environment))
                    #expect(!console.generatedPassword, "\(setting): the console must get CONSOLE_PASSWORD")
                    port = console.port
                default:
                    var withFlag = environment
                    if let index = setting.arguments.firstIndex(of: "--brokers"), index + 1 < setting.arguments.count {
                        withFlag["KAFKA_BROKERS"] = setting.arguments[index + 1]
                    }
                    _ = try KafkaConfiguration.fromEnvironment(withFlag)
                }
            } catch {
                Issue.record("\(setting): \(error)")
                continue
            }
            for check in setting.healthChecks {
                #expect(["/healthz", "/readyz"].contains(check.path), "\(setting): health check on \(check.path)")
                #expect(
                    check.port == port,
                    "\(setting): health check on port \(check.port), program listens on \(port.map { "\($0)" } ?? "none")")
            }
            if ["receiver", "registrar", "runner", "console"].contains(setting.program) {
                #expect(setting.healthChecks.contains { $0.path == "/readyz" }, "\(setting): no /readyz check")
            }
        }
    }

    @Test func theImageCommandsAreProducts() throws {
        let products = try executableProducts()
        let dockerfile = try repositoryText("deploy/Dockerfile")
        let built = try #require(firstMatch(#"ARG PRODUCTS="([^"]+)""#, in: dockerfile)).split(separator: " ").map(String.init)
        let entrypoint = try repositoryText("deploy/entrypoint.sh")
        let dispatched = try #require(firstMatch(#"\n\s*([a-z|-]+)\)\n\s*shift"#, in: entrypoint)).split(separator: "|").map(String.init)
        #expect(Set(built) == ["receiver", "registrar", "runner", "console", "tributary"])
        #expect(Set(dispatched) == Set(built), "entrypoint.sh dispatches \(dispatched), the Dockerfile builds \(built)")
        for program in built { #expect(products.contains(program), "\(program) is no executable product of Package.swift") }
        #expect(dockerfile.contains("COPY deploy/entrypoint.sh"))
        for setting in try allSettings() {
            #expect(dispatched.contains(setting.program), "\(setting): the image runs no program \(setting.program)")
        }
    }

    /// Every command line the manifests run exists in the built program: `--help` after it succeeds
    /// and shows that very command's usage (so the subcommands exist) with each flag it uses.
    @Test(.tags(.processes), .notInFastRun) func theCommandLinesExist() throws {
        for setting in try allSettings() {
            #expect(try commandLineExists(setting.arguments), "\(setting)")
        }
        #expect(try !commandLineExists(["tributary", "topics", "creat"]), "a subcommand that does not exist must fail")
        #expect(try !commandLineExists(["tributary", "topics", "create", "--partition", "3"]), "a flag that does not exist must fail")
    }

    /// The runners' autoscaler watches each job's group on their topic at their cluster: one trigger
    /// per job of the reference runner, no more, no less.
    @Test func theRunnerAutoscalerWatchesEveryJobGroup() throws {
        let scaledObject = try #require(try yamlDocuments("deploy/k8s/runner-autoscaling.yaml").first { $0.kind == "ScaledObject" })
        let runner = try #require(try kubernetesSettings().first { $0.program == "runner" })
        let prefix = runner.environment["TRIBUTARY_TOPIC_PREFIX"] ?? "tributary"
        let group = runner.environment["RUNNER_GROUP"] ?? "\(prefix)-runners"
        let triggers = try #require(lookup(scaledObject.root, "spec", "triggers") as? [Any])
        for trigger in triggers {
            #expect(scalarText(lookup(trigger, "type")) == "kafka")
            #expect(scalarText(lookup(trigger, "metadata", "topic")) == "\(prefix).events")
            #expect(scalarText(lookup(trigger, "metadata", "bootstrapServers")) == runner.environment["KAFKA_BROKERS"])
        }
        let groups = triggers.compactMap { scalarText(lookup($0, "metadata", "consumerGroup")) }.sorted()
        let expected = ExampleJobs.all.map { "\(group).\($0.id)" }.sorted()
        #expect(groups == expected, "runner-autoscaling.yaml must have one Kafka trigger per job group")
        #expect(scalarText(lookup(scaledObject.root, "spec", "scaleTargetRef", "name")) == "runner")
    }

    /// Selectors, Services, the Ingress, the budgets and the autoscaler name objects that exist.
    @Test func theKubernetesObjectsReferToEachOther() throws {
        let documents = try deployYAMLPaths().filter { $0.hasPrefix("deploy/k8s/") && !$0.hasSuffix("kustomization.yaml") }.flatMap(
            yamlDocuments)
        func labels(_ value: Any?) -> [String: String] {
            var result: [String: String] = [:]
            for (key, label) in (value as? [AnyHashable: Any]) ?? [:] { result["\(key)"] = scalarText(label) }
            return result
        }
        func matches(_ selector: [String: String], _ labels: [String: String]) -> Bool {
            !selector.isEmpty && selector.allSatisfy { labels[$0.key] == $0.value }
        }
        let deployments = documents.filter { $0.kind == "Deployment" }
        let podLabels = deployments.map { labels(lookup($0.root, "spec", "template", "metadata", "labels")) }
        for deployment in deployments {
            let selector = labels(lookup(deployment.root, "spec", "selector", "matchLabels"))
            #expect(
                matches(selector, labels(lookup(deployment.root, "spec", "template", "metadata", "labels"))),
                "Deployment \(deployment.name ?? "?"): its selector does not match its pods")
        }
        for budget in documents.filter({ $0.kind == "PodDisruptionBudget" }) {
            let selector = labels(lookup(budget.root, "spec", "selector", "matchLabels"))
            #expect(podLabels.contains { matches(selector, $0) }, "PodDisruptionBudget \(budget.name ?? "?") selects no pods")
        }
        for service in documents.filter({ $0.kind == "Service" }) {
            let selector = labels(lookup(service.root, "spec", "selector"))
            let selected = deployments.filter { matches(selector, labels(lookup($0.root, "spec", "template", "metadata", "labels"))) }
            #expect(selected.count == 1, "Service \(service.name ?? "?") selects \(selected.count) Deployments")
            let containerPorts = selected.flatMap { deployment in
                ((lookup(deployment.root, "spec", "template", "spec", "containers") as? [Any]) ?? [])
                    .flatMap { (lookup($0, "ports") as? [Any]) ?? [] }.compactMap { scalarText(lookup($0, "name")) }
            }
            for port in (lookup(service.root, "spec", "ports") as? [Any]) ?? [] {
                let target = scalarText(lookup(port, "targetPort")) ?? ""
                #expect(
                    containerPorts.contains(target), "Service \(service.name ?? "?") targets port \(target), which its pods do not name")
            }
        }
        for ingress in documents.filter({ $0.kind == "Ingress" }) {
            for rule in (lookup(ingress.root, "spec", "rules") as? [Any]) ?? [] {
                for path in (lookup(rule, "http", "paths") as? [Any]) ?? [] {
                    let name = scalarText(lookup(path, "backend", "service", "name"))
                    let port = scalarText(lookup(path, "backend", "service", "port", "name"))
                    let service = documents.first { $0.kind == "Service" && $0.name == name }
                    let servicePorts = ((service.flatMap { lookup($0.root, "spec", "ports") } as? [Any]) ?? []).compactMap {
                        scalarText(lookup($0, "name"))
                    }
                    #expect(
                        service != nil && servicePorts.contains(port ?? ""),
                        "Ingress \(ingress.name ?? "?") routes to \(name ?? "?"):\(port ?? "?")")
                }
            }
        }
        for scaled in documents.filter({ $0.kind == "ScaledObject" }) {
            let target = scalarText(lookup(scaled.root, "spec", "scaleTargetRef", "name"))
            #expect(deployments.contains { $0.name == target }, "ScaledObject \(scaled.name ?? "?") scales no Deployment")
            let scaledDeployment = deployments.first { $0.name == target }
            #expect(lookup(scaledDeployment?.root, "spec", "replicas") == nil, "\(target ?? "?"): replicas belong to the autoscaler")
        }
    }

    /// The topics job creates as many partitions as the receiver would, and KEDA starts no more
    /// runners than there are partitions.
    @Test func thePartitionCountsAgree() throws {
        for settings in [try composeSettings(), try kubernetesSettings()] {
            let topics = try #require(settings.first { $0.arguments.starts(with: ["tributary", "topics", "create"]) })
            let index = try #require(topics.arguments.firstIndex(of: "--partitions"))
            let partitions = try #require(Int(topics.arguments[index + 1]))
            for receiver in settings where receiver.program == "receiver" {
                #expect(Int(receiver.environment["TRIBUTARY_PARTITIONS"] ?? "12") == partitions, "\(receiver) vs \(topics)")
            }
            if settings.first?.origin.hasPrefix("deploy/k8s/") == true {
                let scaled = try #require(try yamlDocuments("deploy/k8s/runner-autoscaling.yaml").first { $0.kind == "ScaledObject" })
                let most = try #require(lookup(scaled.root, "spec", "maxReplicaCount") as? Int)
                #expect(most <= partitions, "KEDA may start \(most) runners for \(partitions) partitions")
            }
        }
    }

    /// The README's table names every variable the code reads.
    @Test func theReferenceListsEveryVariableTheCodeReads() throws {
        let reference = try ConfigurationReference.fromREADME()
        let read = try variablesReadByTheCode()
        #expect(read.contains("KAFKA_BROKERS") && read.contains("PUBLIC_URL"))
        for variable in read.sorted() {
            let listed = reference.lists(variable)
            #expect(listed, "\(variable) is read by the code but missing from README's Configuration table")
        }
    }
}

/// `program: variable` for every variable set that the program does not read.
func unknownVariables(in settings: [ProgramSetting], reference: ConfigurationReference) -> [String] {
    settings.flatMap { setting in
        setting.environment.keys.sorted().filter { !reference.isRead($0, by: setting.program) }.map { "\(setting.origin): \($0)" }
    }
}

/// The executable products of Package.swift.
func executableProducts() throws -> Set<String> {
    let manifest = try repositoryText("Package.swift")
    let pattern = try NSRegularExpression(pattern: #"\.executable\(name: "([^"]+)""#)
    return Set(
        pattern.matches(in: manifest, range: NSRange(manifest.startIndex..., in: manifest)).compactMap {
            Range($0.range(at: 1), in: manifest).map { String(manifest[$0]) }
        })
}

/// The variable names the services' and the tool's sources look up.
func variablesReadByTheCode() throws -> Set<String> {
    let lookups = try NSRegularExpression(
        pattern:
            #"(?:\.(?:string|int|duration|required|baseURL)\(|(?:environment|env)\[)\s*"([A-Z][A-Z0-9_]*)""#)
    var names: Set<String> = []
    for folder in ["Services", "Shared"] {
        let root = repositoryRoot.appendingPathComponent(folder)
        let paths = FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []
        for path in paths where path.hasSuffix(".swift") {
            let source = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
            for match in lookups.matches(in: source, range: NSRange(source.startIndex..., in: source)) {
                if let range = Range(match.range(at: 1), in: source) { names.insert(String(source[range])) }
            }
        }
    }
    return names
}

/// Whether `arguments` (a product and its arguments) name a command of the built product with those flags.
func commandLineExists(_ arguments: [String]) throws -> Bool {
    guard let program = arguments.first else { return false }
    let (status, help) = try runProduct(program, Array(arguments.dropFirst()) + ["--help"])
    let command = arguments.prefix { !$0.hasPrefix("-") }.joined(separator: " ")
    let flags = arguments.filter { $0.hasPrefix("--") }.map { $0.split(separator: "=")[0] }
    return status == 0 && help.contains("USAGE: \(command)") && flags.allSatisfy { help.contains("\($0) ") || help.contains("\($0)\n") }
}

func firstMatch(_ pattern: String, in text: String) -> String? {
    guard let expression = try? NSRegularExpression(pattern: pattern),
        let match = expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
        let range = Range(match.range(at: 1), in: text)
    else { return nil }
    return String(text[range])
}

/// Runs a built product of this package; returns its exit status and its output (stdout and stderr).
func runProduct(_ name: String, _ arguments: [String]) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = productURL(name)
    process.arguments = arguments
    process.environment = ["PATH": "/usr/bin:/bin"]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try launch(process)
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A built executable of this package, next to the test bundle.
func productURL(_ name: String) -> URL {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory.deleteLastPathComponent()
    }
    return repositoryRoot.appendingPathComponent(".build/debug/\(name)")
}
