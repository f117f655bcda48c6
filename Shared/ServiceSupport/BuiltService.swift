import ServiceLifecycle

/// What every `build…` function returns (`buildReceiver`, `buildRegistrar`, `buildRunner`): the
/// service's long-running parts and where its admin routes are served. It owns no `ServiceGroup`:
/// an executable's entry point (a `@main`, `tributary dev`, a test) runs ``services`` in its own
/// group, beside other services if it likes:
///
/// ```swift
/// let runner = try buildRunner(configuration: configuration, jobs: jobs, logger: logger)
/// try await ServiceGroup(services: runner.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
/// ```
///
/// `Parts` is what the service exposes besides running: the receiver's HTTP application, the
/// registrar's metrics, the runner's ``RunnerService``.
public struct BuiltService<Parts: Sendable>: Sendable {
    /// The service's name in logs and errors: `receiver`, `registrar`, `runner`.
    public var name: String
    /// What the service exposes besides running (see the type's documentation).
    public var parts: Parts
    /// The long-running parts in start order (producers and views first, the HTTP server last). A
    /// `ServiceGroup` shuts them down in reverse order, so the server stops taking work first and the
    /// producers flush last.
    public var services: [any Service]
    /// `/healthz`, `/readyz` and `/metrics`, as the service serves them.
    public var admin: AdminRoutes
    /// The address the admin routes are served on.
    public var adminHost: String
    /// The configured port of the admin routes (0: a free port, which the build function's
    /// `on…Running` callback reports).
    public var adminPort: Int

    /// A built service; `services` in start order.
    public init(name: String, parts: Parts, services: [any Service], admin: AdminRoutes, adminHost: String, adminPort: Int) {
        self.name = name
        self.parts = parts
        self.services = services
        self.admin = admin
        self.adminHost = adminHost
        self.adminPort = adminPort
    }
}
