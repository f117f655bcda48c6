import Hummingbird

/// The request context of the console's routes: the session the auth middleware found, and the
/// fields of a form body it read to check the CSRF token.
public struct ConsoleRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The logged-in session (nil only on the routes open without one).
    public var session: ConsoleSession?
    /// The form fields of an `application/x-www-form-urlencoded` body (empty otherwise).
    var form = FormFields(nil)

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}
