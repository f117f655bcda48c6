import FakeProviders
import Foundation

// fake-providers [--host H] [--port N] [--stripe-key K] [--github-token T]
//
// Serves the fake Stripe and GitHub APIs (Tests/FakeProviders) on one loopback port until killed; the
// first line on stdout is the base URL, to use as both STRIPE_API_BASE and GITHUB_API_BASE.
//   Stripe:  /v1/webhook_endpoints[/{id}]  (Authorization: Bearer <stripe key>, default sk_test_fake)
//   GitHub:  /repos/{owner}/{repo}/hooks[/{id}], /orgs/{org}/hooks[/{id}]  (Bearer <token>, default ghp_fake)
//   Typeform: /forms/{id}/webhooks[/{tag}] (Bearer tfp_fake); Shopify: /{shop domain}/admin/api/{version}/webhooks…
//            (X-Shopify-Access-Token: shpat_fake); Linear: POST /graphql (Authorization: lin_api_fake)
//   Control: GET /healthz, GET /_fake/stripe/endpoints (with secrets),
//            POST /_fake/stripe/deliver {"type", "object"}, POST /_fake/github/deliver {"owner", "event", "payload"}
//            (signed deliveries to every registered URL that wants the event).
var host = "127.0.0.1"
var port = 0
var stripeKey = "sk_test_fake"
var githubToken = "ghp_fake"
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--host": host = arguments.next() ?? host
    case "--port": port = arguments.next().flatMap(Int.init) ?? port
    case "--stripe-key": stripeKey = arguments.next() ?? stripeKey
    case "--github-token": githubToken = arguments.next() ?? githubToken
    default:
        FileHandle.standardError.write(Data("usage: fake-providers [--host H] [--port N] [--stripe-key K] [--github-token T]\n".utf8))
        exit(2)
    }
}
let server = FakeProviderServer(stripe: FakeStripeAPI(apiKey: stripeKey), github: FakeGitHubAPI(token: githubToken))
try await server.run(host: host, port: port) { base in
    FileHandle.standardOutput.write(Data((base + "\n").utf8))
}
