import Testing

/// Kubernetes injects `KAFKA_PORT`, `KAFKA_SERVICE_HOST`, ... into every pod of a namespace with a
/// Service named `kafka`; Tributary's pods turn that off.
@Suite struct ServiceLinkTests {
    /// Every workload in deploy/k8s sets `enableServiceLinks: false` in its pod spec.
    @Test func everyPodSpecTurnsServiceLinksOff() throws {
        let workloads = ["Deployment", "StatefulSet", "DaemonSet", "Job"]
        let documents = try deployYAMLPaths().filter { $0.hasPrefix("deploy/k8s/") }.flatMap(yamlDocuments)
        var checked = 0
        for document in documents {
            let podSpec: Any?
            if document.kind == "CronJob" {
                podSpec = lookup(document.root, "spec", "jobTemplate", "spec", "template", "spec")
            } else if let kind = document.kind, workloads.contains(kind) {
                podSpec = lookup(document.root, "spec", "template", "spec")
            } else {
                continue
            }
            checked += 1
            #expect(
                lookup(podSpec, "enableServiceLinks") as? Bool == false,
                "\(document.file): \(document.kind ?? "?") \(document.name ?? "?") must set enableServiceLinks: false in its pod spec")
        }
        #expect(checked >= 4, "the receiver, registrar and runner Deployments and the topics Job")
    }
}
