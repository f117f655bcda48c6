import Foundation
import Testing
import Tributary
@testable import TributaryIntegrations

/// The generic presets (`hmac.<name>`, `shared-secret.<name>`, `url-token.<name>`) through the erased
/// source as the receiver runs them: each scheme's valid, forged, tampered, stale and missing cases.
@Suite struct GenericPresetTests {
    let generic = GenericIntegration()
    let secret = "generic-secret-0123456789"
    let body = Array(#"{"type":"order.paid","id":"ord_1","total":12}"#.utf8)

    func send(
        _ id: String, settings: JSON?, secret: String? = nil, path: String? = nil, headers: [(String, String)], body: [UInt8]? = nil
    ) async throws -> HandlerResult {
        let params = NamedSourceParams(name: "acme")
        var data: [String: JSON] = [:]
        if let settings { data["settings"] = settings }
        let state = SourceState(
            key: "\(id).acme", sourceId: id, params: try JSON(encoding: params), active: true, secret: secret ?? self.secret,
            data: .object(data))
        let request = SourceRequest(
            path: path ?? "/sources/\(id).acme", headers: headers.map { (name: $0.0, value: $0.1) }, body: body ?? self.body)
        return try await generic.source(id).erased.handle(request, state: state)
    }

    func rejection(_ body: () async throws -> HandlerResult) async -> SourceRejection? { await rejectionOf(body) }

    @Test func hmacOfTheBodyInEveryAlgorithmAndEncoding() async throws {
        for algorithm in GenericPresetSettings.Algorithm.allCases {
            for encoding in GenericPresetSettings.Encoding.allCases {
                let settings: JSON = [
                    "header": "X-Signature", "algorithm": .string(algorithm.rawValue), "encoding": .string(encoding.rawValue),
                    "prefix": "sha=", "eventField": "type", "idField": "id",
                ]
                let scheme = GenericHMACSignature(header: "X-Signature", algorithm: algorithm, encoding: encoding, prefix: "sha=")
                let good = scheme.header(body: body, secret: secret)
                let result = try await send("hmac", settings: settings, headers: [("x-signature", good)])
                #expect(result.events.map(\.name) == ["order.paid"] && result.events.map(\.id) == ["ord_1"], "\(algorithm) \(encoding)")
                #expect(result.events.first?.source == "acme" && result.events.first?.payload["total"] == 12)

                let cases: [(String, [UInt8], String?)] = [
                    ("forged", body, scheme.header(body: body, secret: "other")),
                    ("tampered", tampered(body), good),
                    ("missing", body, nil),
                    ("no prefix", body, String(good.dropFirst(4))),
                    ("not \(encoding)", body, "sha=%%%%"),
                    ("truncated", body, String(good.dropLast(4))),
                ]
                for (name, body, signature) in cases {
                    let r = await rejection {
                        try await send("hmac", settings: settings, headers: signature.map { [("X-Signature", $0)] } ?? [], body: body)
                    }
                    #expect(r?.status == 401 && r?.reason == .badSignature, "\(algorithm) \(encoding) \(name)")
                    #expect(r?.message.hasPrefix("X-Signature: ") == true, "\(r?.message ?? "")")
                }
            }
        }
    }

    @Test func hmacOfTimestampAndBodyChecksTheWindow() async throws {
        let settings: JSON = [
            "header": "X-Sig", "encoding": "base64", "signed": "timestamp.body", "timestampHeader": "X-Timestamp", "separator": ":",
            "tolerance": 60,
        ]
        let scheme = GenericHMACSignature(header: "X-Sig", encoding: .base64, timestampHeader: "X-Timestamp", separator: ":")
        let now = unixNow
        let ok = try await send(
            "hmac", settings: settings,
            headers: [("X-Sig", scheme.header(body: body, secret: secret, timestamp: now)), ("X-Timestamp", "\(now)")])
        #expect(ok.events.map(\.name) == ["webhook"], "no event naming setting: `webhook`")
        #expect(ok.events.first?.id.hasPrefix("sha256-") == true, "no id setting: a hash of the body")

        let stale = await rejection {
            try await send(
                "hmac", settings: settings,
                headers: [("X-Sig", scheme.header(body: body, secret: secret, timestamp: now - 61)), ("X-Timestamp", "\(now - 61)")])
        }
        #expect(stale?.status == 401 && stale?.message.contains("old") == true, "\(stale?.message ?? "")")
        let moved = await rejection {
            // The signature of one time presented with another: the timestamp is signed.
            try await send(
                "hmac", settings: settings,
                headers: [("X-Sig", scheme.header(body: body, secret: secret, timestamp: now)), ("X-Timestamp", "\(now + 1)")])
        }
        #expect(moved?.status == 401 && moved?.message.contains("no signature matches") == true)
        let noTimestamp = await rejection {
            try await send("hmac", settings: settings, headers: [("X-Sig", scheme.header(body: body, secret: secret, timestamp: now))])
        }
        #expect(noTimestamp?.status == 401 && noTimestamp?.message == "X-Sig: missing header X-Timestamp")
    }

    @Test func sharedSecretInAHeader() async throws {
        let settings: JSON = ["header": "X-Webhook-Token", "eventHeader": "X-Event"]
        let ok = try await send("shared-secret", settings: settings, headers: [("X-Webhook-Token", secret), ("X-Event", "ping")])
        #expect(ok.events.map(\.name) == ["ping"])
        for (name, headers) in [
            ("wrong", [("X-Webhook-Token", secret + "x")]), ("prefix of it", [("X-Webhook-Token", String(secret.dropLast()))]),
            ("missing", []),
        ] {
            let r = await rejection { try await send("shared-secret", settings: settings, headers: headers) }
            #expect(r?.status == 401 && r?.reason == .badSignature, "\(name)")
            #expect(r?.message.contains(secret) == false)
        }
    }

    @Test func secretTokenInTheURL() async throws {
        let ok = try await send("url-token", settings: nil, path: "/sources/url-token.acme?x=1&token=\(secret)", headers: [])
        #expect(ok.events.count == 1)
        let encoded = try await send(
            "url-token", settings: nil, secret: "a b/c", path: "/sources/url-token.acme?token=a%20b%2Fc", headers: [])
        #expect(encoded.events.count == 1, "the token is percent-decoded")
        let cases = [
            ("wrong", "/sources/url-token.acme?token=nope"), ("missing", "/sources/url-token.acme"),
            ("empty", "/sources/url-token.acme?token="), ("twice", "/sources/url-token.acme?token=\(secret)&token=\(secret)"),
            ("in the path, not the query", "/sources/url-token.acme/\(secret)"),
        ]
        for (name, path) in cases {
            let r = await rejection { try await send("url-token", settings: nil, path: path, headers: []) }
            #expect(r?.status == 401 && r?.reason == .badSignature, "\(name)")
            #expect(r?.message.contains(secret) == false, "\(name): the message shows the token")
        }
    }

    @Test func noSecretOrNoSettingsIsA503NamingTheCommand() async throws {
        let noSecret = await rejection { try await send("hmac", settings: ["header": "X-Sig"], secret: "", headers: []) }
        #expect(noSecret?.status == 503 && noSecret?.message.contains("tributary sources set-secret hmac.acme") == true)
        let unconfigured = await rejection { try await send("hmac", settings: nil, headers: [("X-Sig", "00")]) }
        #expect(unconfigured?.status == 503 && unconfigured?.message.contains("tributary sources configure hmac.acme") == true)
        #expect(unconfigured?.message.contains("header is required") == true)
    }

    @Test func settingsAreCheckedWithAMessageNamingTheSetting() throws {
        let valid = try GenericPresets.validate(sourceId: "hmac", settings: ["header": "X-Sig", "algorithm": "sha512"])
        #expect(valid["algorithm"] == "sha512" && valid["header"] == "X-Sig")
        let cases: [(String, JSON, String)] = [
            ("hmac", [:], "header is required"),
            ("hmac", ["header": "X-Sig", "algorithm": "md5"], "the settings do not read"),
            ("hmac", ["header": "X Sig"], "header 'X Sig' is not a header name"),
            ("hmac", ["header": "X-Sig", "colour": "red"], "unknown setting 'colour'"),
            ("hmac", ["header": "X-Sig", "signed": "timestamp.body"], "timestampHeader (signed=timestamp.body) is required"),
            ("hmac", ["header": "X-Sig", "timestampHeader": "X-T"], "timestampHeader is only used with signed=timestamp.body"),
            ("hmac", ["header": "X-Sig", "tolerance": 0], "tolerance must be positive"),
            ("shared-secret", [:], "header is required"),
            ("stripe.webhook", ["header": "X"], "takes no settings"),
        ]
        for (sourceId, settings, message) in cases {
            #expect(throws: GenericPresets.SettingsError.self, "\(settings)") {
                try GenericPresets.validate(sourceId: sourceId, settings: settings)
            }
            do {
                _ = try GenericPresets.validate(sourceId: sourceId, settings: settings)
            } catch {
                #expect(error.message.contains(message), "\(error.message)")
            }
        }
        #expect(try GenericPresets.validate(sourceId: "url-token", settings: [:]) == [:])
    }

    @Test func settingsFromNameValuePairs() throws {
        let parsed = try GenericPresetSettings.parse(pairs: ["header=X-Sig", "prefix=sha256=", "tolerance=60"])
        #expect(parsed == ["header": "X-Sig", "prefix": "sha256=", "tolerance": 60])
        #expect(throws: GenericPresets.SettingsError.self) { try GenericPresetSettings.parse(pairs: ["header"]) }
        #expect(throws: GenericPresets.SettingsError.self) { try GenericPresetSettings.parse(pairs: ["colour=red"]) }
        #expect(throws: GenericPresets.SettingsError.self) { try GenericPresetSettings.parse(pairs: ["tolerance=soon"]) }
    }

    @Test func redactionHidesTheTokenAndNothingElse() {
        #expect(SecretRedaction.redact("/sources/url-token.acme?token=s3cret&x=1") == "/sources/url-token.acme?token=REDACTED&x=1")
        #expect(
            SecretRedaction.redact("https://h.example/sources/a%2Fb?x=1&token=s3cret#f")
                == "https://h.example/sources/a%2Fb?x=1&token=REDACTED#f")
        #expect(SecretRedaction.redact("/sources/a?to%6Ben=s3cret") == "/sources/a?to%6Ben=REDACTED", "an encoded name too")
        #expect(SecretRedaction.redact("/sources/token.acme/s3cret") == "/sources/token.acme/s3cret", "only the query carries tokens")
        #expect(SecretRedaction.redact("/sources/a") == "/sources/a")
    }

    @Test func keysAndCatalog() throws {
        for id in ["hmac", "shared-secret", "url-token"] {
            let state = try SourceKeys.newState(forKey: "\(id).acme")
            #expect(state.sourceId == id && state.params["name"] == "acme")
        }
        let catalog = try IntegrationCatalog.fromEnvironment([:])
        #expect(Set(catalog.sources.map(\.id)).isSuperset(of: ["hmac", "shared-secret", "url-token"]))
        #expect(GenericIntegration.provider.variables.isEmpty)
    }
}
