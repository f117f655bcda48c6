import Tributary

/// Realistic GitHub webhook payloads (trimmed to the commonly used fields), used as examples.
enum GitHubExamples {
    static let repository: JSON = [
        "id": 708_123_456, "node_id": "R_kgDOKjWxQA", "name": "web", "full_name": "acme/web", "private": true,
        "html_url": "https://github.com/acme/web", "default_branch": "main",
        "owner": ["login": "acme", "id": 131_072, "type": "Organization"],
    ]
    static let sender: JSON = ["login": "octocat", "id": 583_231, "type": "User", "html_url": "https://github.com/octocat"]
    static let organization: JSON = ["login": "acme", "id": 131_072]

    static let push: JSON = [
        "ref": "refs/heads/main", "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", "created": false, "deleted": false, "forced": false,
        "compare": "https://github.com/acme/web/compare/6113728f27ae...0d1a26e67d8f",
        "commits": [
            [
                "id": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", "message": "Fix checkout total rounding",
                "timestamp": "2024-07-25T14:02:11+02:00",
                "url": "https://github.com/acme/web/commit/0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
                "author": ["name": "Mona Octocat", "email": "mona@acme.example", "username": "octocat"],
                "added": [], "removed": [], "modified": ["src/checkout.ts"],
            ]
        ],
        "head_commit": ["id": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", "message": "Fix checkout total rounding"],
        "pusher": ["name": "octocat", "email": "mona@acme.example"],
        "repository": repository, "organization": organization, "sender": sender,
    ]

    static let pullRequest: JSON = [
        "action": "opened", "number": 42,
        "pull_request": [
            "id": 1_987_654_321, "number": 42, "state": "open", "title": "Add Stripe checkout", "draft": false, "merged": false,
            "html_url": "https://github.com/acme/web/pull/42", "body": "Adds the hosted checkout flow.",
            "user": ["login": "octocat", "id": 583_231],
            "head": ["ref": "feature/checkout", "sha": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"],
            "base": ["ref": "main", "sha": "6113728f27ae82c7b1a177c8d03f9e96e0adf246"],
            "created_at": "2024-07-25T12:02:11Z", "updated_at": "2024-07-25T12:02:11Z",
        ],
        "repository": repository, "organization": organization, "sender": sender,
    ]

    static let issue: JSON = [
        "id": 2_345_678_901, "number": 7, "title": "Checkout total is off by a cent", "state": "open",
        "html_url": "https://github.com/acme/web/issues/7", "body": "Seen with EUR prices.",
        "user": ["login": "octocat", "id": 583_231], "labels": [["name": "bug"]],
        "created_at": "2024-07-25T10:00:00Z", "updated_at": "2024-07-25T10:00:00Z",
    ]

    static let issues: JSON = [
        "action": "opened", "issue": issue, "repository": repository, "organization": organization, "sender": sender,
    ]

    static let issueComment: JSON = [
        "action": "created", "issue": issue,
        "comment": [
            "id": 2_250_000_001, "html_url": "https://github.com/acme/web/issues/7#issuecomment-2250000001",
            "body": "Reproduced; fix in #42.", "user": ["login": "octocat", "id": 583_231],
            "created_at": "2024-07-25T12:30:00Z",
        ],
        "repository": repository, "organization": organization, "sender": sender,
    ]

    static let release: JSON = [
        "action": "published",
        "release": [
            "id": 166_000_001, "tag_name": "v1.4.0", "name": "v1.4.0", "draft": false, "prerelease": false,
            "html_url": "https://github.com/acme/web/releases/tag/v1.4.0", "body": "Stripe checkout.",
            "target_commitish": "main", "published_at": "2024-07-26T09:00:00Z", "author": ["login": "octocat", "id": 583_231],
        ],
        "repository": repository, "organization": organization, "sender": sender,
    ]

    static let workflowRun: JSON = [
        "action": "completed",
        "workflow_run": [
            "id": 10_123_456_789, "name": "CI", "event": "push", "status": "completed", "conclusion": "success",
            "head_branch": "main", "head_sha": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", "run_number": 318, "run_attempt": 1,
            "html_url": "https://github.com/acme/web/actions/runs/10123456789",
            "created_at": "2024-07-25T12:03:00Z", "updated_at": "2024-07-25T12:09:41Z",
        ],
        "workflow": ["id": 61_234_567, "name": "CI", "path": ".github/workflows/ci.yml"],
        "repository": repository, "organization": organization, "sender": sender,
    ]

    static let star: JSON = [
        "action": "created", "starred_at": "2024-07-25T15:00:00Z", "repository": repository, "organization": organization, "sender": sender,
    ]

    static let fork: JSON = [
        "forkee": [
            "id": 830_000_001, "name": "web", "full_name": "octocat/web", "html_url": "https://github.com/octocat/web", "fork": true,
            "owner": ["login": "octocat", "id": 583_231],
        ],
        "repository": repository, "organization": organization, "sender": sender,
    ]

    static let create: JSON = [
        "ref": "feature/checkout", "ref_type": "branch", "master_branch": "main", "description": nil, "pusher_type": "user",
        "repository": repository, "organization": organization, "sender": sender,
    ]

    static let delete: JSON = [
        "ref": "feature/checkout", "ref_type": "branch", "pusher_type": "user",
        "repository": repository, "organization": organization, "sender": sender,
    ]
}
