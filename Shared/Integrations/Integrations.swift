import Tributary
/// Stripe, GitHub and Standard Webhooks integrations.
public enum Integrations {}
