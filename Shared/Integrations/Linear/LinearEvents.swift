import Tributary

/// The event specifications of Linear webhooks (source `linear.app`), named by the payload's `type`;
/// the payload is the whole body.
public enum LinearEvents {
    /// `Issue`: an issue was created, updated or removed (`action`).
    public static let issue = namedEvent(
        "Issue", title: "Issue", source: LinearIntegration.eventSource, icon: "linear",
        example: [
            "action": "create", "type": "Issue", "createdAt": "2024-07-25T14:02:11.000Z",
            "organizationId": "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "webhookId": "9a8b7c6d-5e4f-4321-9876-abcdef012345",
            "webhookTimestamp": 1_721_916_131_000, "url": "https://linear.app/acme/issue/ENG-142/checkout-total-is-off-by-a-cent",
            "actor": ["id": "1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "type": "user", "name": "Mona Octocat"],
            "data": [
                "id": "c0ffee00-1234-4abc-9def-0123456789ab", "identifier": "ENG-142", "number": 142,
                "title": "Checkout total is off by a cent", "priority": 2, "priorityLabel": "High",
                "state": ["id": "5b6c7d8e-9f01-4234-a567-89abcdef0123", "name": "Todo", "type": "unstarted"],
                "team": ["id": "7e8f9a0b-1c2d-4e3f-8a9b-0c1d2e3f4a5b", "key": "ENG", "name": "Engineering"],
                "labelIds": [], "createdAt": "2024-07-25T14:02:11.000Z", "updatedAt": "2024-07-25T14:02:11.000Z",
            ],
        ],
        properties: properties)
    /// `Comment`: a comment on an issue was created, updated or removed.
    public static let comment = namedEvent(
        "Comment", title: "Comment", source: LinearIntegration.eventSource, icon: "linear",
        example: [
            "action": "create", "type": "Comment", "createdAt": "2024-07-25T14:10:00.000Z",
            "organizationId": "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "webhookId": "9a8b7c6d-5e4f-4321-9876-abcdef012345",
            "webhookTimestamp": 1_721_916_600_000, "url": "https://linear.app/acme/issue/ENG-142#comment-0d1a26e6",
            "data": [
                "id": "0d1a26e6-7d8f-4eaf-9f6b-a5c57fc3c7d9", "body": "Rounding happens before the discount.",
                "issueId": "c0ffee00-1234-4abc-9def-0123456789ab", "userId": "1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                "createdAt": "2024-07-25T14:10:00.000Z",
            ],
        ],
        properties: properties)
    /// `Project`: a project was created, updated or removed.
    public static let project = namedEvent(
        "Project", title: "Project", source: LinearIntegration.eventSource, icon: "linear",
        example: [
            "action": "update", "type": "Project", "createdAt": "2024-07-25T15:00:00.000Z",
            "organizationId": "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "webhookId": "9a8b7c6d-5e4f-4321-9876-abcdef012345",
            "webhookTimestamp": 1_721_919_600_000, "url": "https://linear.app/acme/project/checkout-v2-1a2b3c4d",
            "data": ["id": "aa11bb22-cc33-4d44-8e55-ff6677889900", "name": "Checkout v2", "state": "started", "progress": 0.4],
            "updatedFrom": ["state": "planned"],
        ],
        properties: properties)

    /// Every specification above.
    public static let all = [issue, comment, project]

    private static let properties: @Sendable (JSON) -> [RunProperty] = { payload in
        [
            RunProperty(label: "Action", text: payload["action"]?.stringValue ?? ""),
            RunProperty(
                label: "Item", text: payload["data"]?["identifier"]?.stringValue ?? payload["data"]?["name"]?.stringValue ?? "",
                url: payload["url"]?.stringValue),
        ]
    }
}
