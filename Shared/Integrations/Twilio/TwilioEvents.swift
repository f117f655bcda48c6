import Tributary

/// The event specifications of Twilio webhooks (source `twilio.com`); the payload is the request's
/// form parameters (`MessageSid`, `From`, `To`, `Body`…), each a string.
public enum TwilioEvents {
    /// `message.received`: an SMS or MMS arrived at one of the account's numbers.
    public static let messageReceived = namedEvent(
        "message.received", title: "Message received", source: TwilioIntegration.eventSource, icon: "twilio",
        example: [
            "ToCountry": "US", "ToState": "CA", "SmsMessageSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f", "NumMedia": "0",
            "ToCity": "SAN FRANCISCO", "FromZip": "94105", "SmsSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f", "FromState": "CA",
            "SmsStatus": "received", "FromCity": "SAN FRANCISCO", "Body": "Is my order shipped?", "FromCountry": "US",
            "To": "+14155550100", "ToZip": "94105", "NumSegments": "1", "MessageSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
            "AccountSid": "AC0123456789abcdef0123456789abcdef", "From": "+14155550199", "ApiVersion": "2010-04-01",
        ],
        properties: properties)
    /// `message.status`: a status callback of a message the account sent (`queued`, `sent`, `delivered`, `failed`…).
    public static let messageStatus = namedEvent(
        "message.status", title: "Message status", source: TwilioIntegration.eventSource, icon: "twilio",
        example: [
            "SmsSid": "SM3e4b5c6d7e8f90123456789abcdef012", "SmsStatus": "delivered", "MessageStatus": "delivered",
            "To": "+14155550199", "MessageSid": "SM3e4b5c6d7e8f90123456789abcdef012", "AccountSid": "AC0123456789abcdef0123456789abcdef",
            "From": "+14155550100", "ApiVersion": "2010-04-01",
        ],
        properties: properties)
    /// `call.incoming`: a call is ringing at one of the account's numbers.
    public static let callIncoming = namedEvent(
        "call.incoming", title: "Incoming call", source: TwilioIntegration.eventSource, icon: "twilio",
        example: [
            "CallSid": "CA5f1a2b3c4d5e6f708192a3b4c5d6e7f8", "AccountSid": "AC0123456789abcdef0123456789abcdef",
            "From": "+14155550199", "To": "+14155550100", "CallStatus": "ringing", "Direction": "inbound", "ApiVersion": "2010-04-01",
            "Caller": "+14155550199", "Called": "+14155550100", "CallerCountry": "US", "CalledCountry": "US",
        ],
        properties: properties)
    /// `call.status`: a call's status callback (`initiated`, `answered`, `completed`, `busy`, `no-answer`…).
    public static let callStatus = namedEvent(
        "call.status", title: "Call status", source: TwilioIntegration.eventSource, icon: "twilio",
        example: [
            "CallSid": "CA5f1a2b3c4d5e6f708192a3b4c5d6e7f8", "AccountSid": "AC0123456789abcdef0123456789abcdef",
            "From": "+14155550199", "To": "+14155550100", "CallStatus": "completed", "CallDuration": "42",
            "Direction": "inbound", "ApiVersion": "2010-04-01", "Timestamp": "Thu, 25 Jul 2024 14:02:11 +0000",
        ],
        properties: properties)

    /// Every specification above.
    public static let all = [messageReceived, messageStatus, callIncoming, callStatus]

    private static let properties: @Sendable (JSON) -> [RunProperty] = { payload in
        [
            RunProperty(label: "From", text: payload["From"]?.stringValue ?? ""),
            RunProperty(
                label: "Status",
                text: payload["MessageStatus"]?.stringValue ?? payload["SmsStatus"]?.stringValue ?? payload["CallStatus"]?.stringValue ?? ""
            ),
        ]
    }
}
