import Foundation
import Testing
import TributaryIntegrations

/// README.md and deploy/ checked against the one list of providers (`Providers.all`): the README's
/// Configuration table has one row per provider with variables (its variables, defaults and meaning),
/// and compose, the Kubernetes Secret and the registrar's Deployment hand each provider credential to
/// the registrar. Adding or removing a provider without them fails here.
@Suite struct ProviderListTests {
    /// The providers that read variables.
    static var configured: [Provider] { Providers.descriptors.filter { !$0.variables.isEmpty } }
    /// Every provider credential (`STRIPE_API_KEY`, …), in order.
    static var credentials: [String] { Providers.descriptors.compactMap { $0.credential?.name } }

    /// The README row of `provider`'s variables, as it must read.
    static func expectedRow(_ provider: Provider) -> (variables: [String], defaults: String, meaning: String) {
        let defaults = provider.variables.map { $0.defaultValue.map { "`\($0)`" } ?? "-" }.joined(separator: ", ")
        return (provider.variables.map(\.name), defaults, provider.summary)
    }

    /// The README rows that are about provider credentials.
    static func credentialRows(_ reference: ConfigurationReference) -> [ConfigurationReference.Row] {
        reference.rows.filter { $0.meaning.contains("credentials") }
    }

    @Test func theREADMEHasOneRowPerProvider() throws {
        let reference = try ConfigurationReference.fromREADME()
        let rows = Self.credentialRows(reference)
        for provider in Self.configured {
            let expected = Self.expectedRow(provider)
            let row = rows.first { $0.variables == expected.variables }
            let line =
                "| \(expected.variables.map { "`\($0)`" }.joined(separator: ", ")) | registrar | \(expected.defaults) | \(expected.meaning) |"
            guard let row else {
                Issue.record("README.md's Configuration table has no row for \(provider.name); add: \(line)")
                continue
            }
            #expect(row.usedBy == ["registrar"], "README.md: \(provider.name)'s variables are read by the registrar; expected \(line)")
            #expect(row.defaults == expected.defaults, "README.md: \(provider.name)'s defaults; expected \(line)")
            #expect(row.meaning == expected.meaning, "README.md: \(provider.name)'s meaning; expected \(line)")
        }
        let known = Set(Self.configured.map { Self.expectedRow($0).variables })
        for row in rows where !known.contains(row.variables) {
            Issue.record("README.md's Configuration table has credentials \(row.variables) that no provider of Providers.all reads")
        }
    }

    @Test func composeGivesTheRegistrarEveryCredential() throws {
        let registrar = try #require(try composeSettings().first { $0.program == "registrar" })
        let reference = try ConfigurationReference.fromREADME()
        let credentialLike = Set(Self.credentialRows(reference).flatMap(\.variables))
        let given = registrar.environment.keys.filter { credentialLike.contains($0) && !$0.hasSuffix("_API_BASE") }
        #expect(
            Set(given) == Set(Self.credentials),
            "\(registrar): provider credentials set \(given.sorted()), Providers.all has \(Self.credentials)")
        for credential in Self.credentials {
            #expect(
                registrar.environment[credential] == "${\(credential):-}",
                "\(registrar): \(credential) must be `${\(credential):-}` (optional)")
        }
        let header = try repositoryText("deploy/compose.yaml").split(separator: "\n").first { $0.hasPrefix("# Optional:") } ?? ""
        for credential in Self.credentials {
            #expect(header.contains(credential), "deploy/compose.yaml's `# Optional:` line does not name \(credential)")
        }
    }

    @Test func theKubernetesSecretHoldsEveryCredential() throws {
        let secret = try #require(
            try yamlDocuments("deploy/k8s/secrets.yaml").first { $0.kind == "Secret" && $0.name == "tributary-secrets" })
        let keys = Set(((secret.root["stringData"] as? [AnyHashable: Any]) ?? [:]).keys.map { "\($0)" })
        #expect(
            keys == Set(["TRIBUTARY_SECRET_KEY", "CONSOLE_PASSWORD"] + Self.credentials),
            "deploy/k8s/secrets.yaml holds \(keys.sorted()), Providers.all has \(Self.credentials)")
        let readme = try repositoryText("README.md")
        let line = readme.split(separator: "\n").first { $0.hasPrefix("| `secrets.yaml` |") } ?? ""
        for credential in Self.credentials {
            #expect(line.contains("`\(credential)`"), "README.md's row for secrets.yaml does not name \(credential)")
        }
    }

    @Test func theRegistrarDeploymentReadsEveryCredentialFromTheSecret() throws {
        let deployment = try #require(try yamlDocuments("deploy/k8s/registrar.yaml").first { $0.kind == "Deployment" })
        let containers = (lookup(deployment.root, "spec", "template", "spec", "containers") as? [Any]) ?? []
        let registrar = try #require(containers.first { scalarText(lookup($0, "name")) == "registrar" } ?? containers.first)
        var optional: [String] = []
        for entry in (lookup(registrar, "env") as? [Any]) ?? [] {
            guard let name = scalarText(lookup(entry, "name")), let reference = lookup(entry, "valueFrom", "secretKeyRef") else { continue }
            guard name != "TRIBUTARY_SECRET_KEY" else { continue }
            #expect(scalarText(lookup(reference, "name")) == "tributary-secrets", "registrar.yaml: \(name) from another Secret")
            #expect(
                scalarText(lookup(reference, "key")) == name,
                "registrar.yaml: \(name) from key \(scalarText(lookup(reference, "key")) ?? "?")")
            #expect(
                lookup(reference, "optional") as? Bool == true,
                "registrar.yaml: \(name) must be optional (a provider without credentials only cannot register)")
            optional.append(name)
        }
        #expect(
            optional == Self.credentials,
            "deploy/k8s/registrar.yaml reads \(optional) from the Secret, Providers.all has \(Self.credentials)")
    }

    @Test func theRegistrarsREADMENamesEveryProviderVariable() throws {
        let readme = try repositoryText("Services/Registrar/README.md")
        let line = try #require(readme.split(separator: "\n").first { $0.contains("provider credentials") })
        let cell = line.split(separator: "|").first.map(String.init) ?? ""
        let named = cell.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map {
            String($0.element)
        }
        #expect(
            named == Providers.variableNames, "Services/Registrar/README.md names \(named), Providers.all reads \(Providers.variableNames)")
    }

    /// The check itself notices a provider the files do not know.
    @Test func aMissingProviderIsCaught() throws {
        let reference = try ConfigurationReference.fromREADME()
        let extra = Provider(id: "acme", name: "Acme", summary: "Acme credentials", variables: [.credential("ACME_TOKEN")])
        let expected = Self.expectedRow(extra)
        #expect(!Self.credentialRows(reference).contains { $0.variables == expected.variables })
        let secret = try #require(try yamlDocuments("deploy/k8s/secrets.yaml").first { $0.kind == "Secret" })
        #expect((secret.root["stringData"] as? [AnyHashable: Any])?["ACME_TOKEN"] == nil)
    }
}
