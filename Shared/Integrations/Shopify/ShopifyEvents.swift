import Tributary

/// The event specifications of common Shopify webhook topics (source `shopify.com`), named as in
/// `X-Shopify-Topic`; the payload is the resource (trimmed to the commonly used fields).
public enum ShopifyEvents {
    static let customer: JSON = [
        "id": 7_012_345_678_901, "email": "bob@example.com", "first_name": "Bob", "last_name": "Norman",
        "created_at": "2024-07-25T10:02:11-04:00", "updated_at": "2024-07-25T10:02:11-04:00", "state": "enabled",
        "currency": "USD", "verified_email": true, "tags": "",
    ]

    /// `orders/create`: an order was placed.
    public static let ordersCreate = namedEvent(
        "orders/create", title: "Order created", source: ShopifyIntegration.eventSource, icon: "shopify",
        example: [
            "id": 5_801_234_567_890, "admin_graphql_api_id": "gid://shopify/Order/5801234567890",
            "name": "#1001", "order_number": 1001, "email": "bob@example.com", "created_at": "2024-07-25T10:05:42-04:00",
            "currency": "USD", "total_price": "59.90", "subtotal_price": "49.90", "total_tax": "10.00",
            "financial_status": "paid", "fulfillment_status": .null, "customer": customer,
            "line_items": [
                [
                    "id": 14_512_345_678_901, "product_id": 8_012_345_678_901, "variant_id": 44_123_456_789_012,
                    "title": "Trail running shoes", "quantity": 1, "price": "49.90", "sku": "TRS-42",
                ]
            ],
        ],
        properties: properties)
    /// `orders/paid`: an order's payment was captured.
    public static let ordersPaid = namedEvent(
        "orders/paid", title: "Order paid", source: ShopifyIntegration.eventSource, icon: "shopify",
        example: [
            "id": 5_801_234_567_890, "name": "#1001", "order_number": 1001, "email": "bob@example.com",
            "currency": "USD", "total_price": "59.90", "financial_status": "paid", "processed_at": "2024-07-25T10:05:44-04:00",
        ],
        properties: properties)
    /// `products/update`: a product was changed.
    public static let productsUpdate = namedEvent(
        "products/update", title: "Product updated", source: ShopifyIntegration.eventSource, icon: "shopify",
        example: [
            "id": 8_012_345_678_901, "admin_graphql_api_id": "gid://shopify/Product/8012345678901",
            "title": "Trail running shoes", "handle": "trail-running-shoes", "vendor": "Acme", "product_type": "Shoes",
            "status": "active", "updated_at": "2024-07-25T11:00:00-04:00",
            "variants": [["id": 44_123_456_789_012, "title": "42", "price": "49.90", "sku": "TRS-42", "inventory_quantity": 12]],
        ],
        properties: { [RunProperty(label: "Product", text: $0["title"]?.stringValue ?? "")] })
    /// `customers/create`: a customer account was created.
    public static let customersCreate = namedEvent(
        "customers/create", title: "Customer created", source: ShopifyIntegration.eventSource, icon: "shopify",
        example: customer, properties: { [RunProperty(label: "Customer", text: $0["email"]?.stringValue ?? "")] })
    /// `app/uninstalled`: the shop uninstalled the app.
    public static let appUninstalled = namedEvent(
        "app/uninstalled", title: "App uninstalled", source: ShopifyIntegration.eventSource, icon: "shopify",
        example: [
            "id": 548_380_009, "name": "Acme Outdoor", "email": "owner@acme.example", "domain": "shop.acme.example",
            "myshopify_domain": "acme-outdoor.myshopify.com", "plan_name": "basic",
        ])

    /// Every specification above.
    public static let all = [ordersCreate, ordersPaid, productsUpdate, customersCreate, appUninstalled]

    private static let properties: @Sendable (JSON) -> [RunProperty] = { payload in
        [
            RunProperty(label: "Order", text: payload["name"]?.stringValue ?? ""),
            RunProperty(label: "Total", text: "\(payload["total_price"]?.stringValue ?? "") \(payload["currency"]?.stringValue ?? "")"),
        ]
    }
}
