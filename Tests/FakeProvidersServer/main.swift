import FakeProviders
import Foundation

// fake-providers [--host H] [--port N] [--stripe-key K] [--github-token T]
// Serves the fake Stripe and GitHub APIs; the first line on stdout is the base URL.
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
