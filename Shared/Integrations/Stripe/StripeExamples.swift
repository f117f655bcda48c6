import Tributary

/// Realistic `data.object` payloads of Stripe events (test mode, API version 2024-06-20), used as the
/// examples of Stripe's event specifications.
enum StripeExamples {
    static let price = parse(
        #"""
        {"id":"price_1PgafmB7WZ01zgkWSY1n2Jxb","object":"price","active":true,"billing_scheme":"per_unit",
         "created":1721917438,"currency":"usd","custom_unit_amount":null,"livemode":false,"lookup_key":"pro_monthly",
         "metadata":{"plan":"pro"},"nickname":"Pro monthly","product":"prod_QXfKUXfC0vnLtr",
         "recurring":{"aggregate_usage":null,"interval":"month","interval_count":1,"meter":null,"trial_period_days":null,"usage_type":"licensed"},
         "tax_behavior":"exclusive","tiers_mode":null,"transform_quantity":null,"type":"recurring","unit_amount":2000,"unit_amount_decimal":"2000"}
        """#)

    static let product = parse(
        #"""
        {"id":"prod_QXfKUXfC0vnLtr","object":"product","active":true,"created":1721917437,"default_price":"price_1PgafmB7WZ01zgkWSY1n2Jxb",
         "description":"Unlimited projects and priority support","images":["https://files.stripe.com/links/MDB8YWNjdF8xUGdh"],
         "livemode":false,"marketing_features":[],"metadata":{"tier":"pro"},"name":"Pro plan","package_dimensions":null,
         "shippable":null,"statement_descriptor":null,"tax_code":"txcd_10103001","unit_label":"seat","updated":1721917438,"url":null}
        """#)

    static let customer = parse(
        #"""
        {"id":"cus_QXfLr2Ab0f4n8Q","object":"customer","address":null,"balance":0,"created":1721917500,"currency":"usd",
         "default_source":null,"delinquent":false,"description":"Acme Corp","discount":null,"email":"billing@acme.example",
         "invoice_prefix":"5F3A1C2B","invoice_settings":{"custom_fields":null,"default_payment_method":null,"footer":null,"rendering_options":null},
         "livemode":false,"metadata":{"account_id":"acct-42"},"name":"Jenny Rosen","next_invoice_sequence":1,"phone":"+15555550123",
         "preferred_locales":["en"],"shipping":null,"tax_exempt":"none","test_clock":null}
        """#)

    static let checkoutSession = parse(
        #"""
        {"id":"cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY","object":"checkout.session",
         "amount_subtotal":2000,"amount_total":2000,"automatic_tax":{"enabled":false,"liability":null,"status":null},
         "billing_address_collection":null,"cancel_url":"https://acme.example/cancel","client_reference_id":"order_1234",
         "created":1721917600,"currency":"usd","customer":"cus_QXfLr2Ab0f4n8Q",
         "customer_details":{"address":{"city":null,"country":"US","line1":null,"line2":null,"postal_code":"94107","state":null},"email":"billing@acme.example","name":"Jenny Rosen","phone":null,"tax_exempt":"none","tax_ids":[]},
         "customer_email":null,"expires_at":1722004000,"livemode":false,"locale":null,"metadata":{"order_id":"1234"},"mode":"payment",
         "payment_intent":"pi_3PgahVB7WZ01zgkW0c8QWvAn","payment_method_types":["card"],"payment_status":"paid","status":"complete",
         "submit_type":null,"subscription":null,"success_url":"https://acme.example/success?session_id={CHECKOUT_SESSION_ID}","url":null}
        """#)

    static let subscription = parse(
        #"""
        {"id":"sub_1PgaiTB7WZ01zgkWq2Ao8PcS","object":"subscription","application":null,"billing_cycle_anchor":1721917700,
         "cancel_at":null,"cancel_at_period_end":false,"canceled_at":null,"collection_method":"charge_automatically","created":1721917700,
         "currency":"usd","current_period_end":1724596100,"current_period_start":1721917700,"customer":"cus_QXfLr2Ab0f4n8Q",
         "default_payment_method":"pm_1PgaiSB7WZ01zgkWbZ4nJAGi","discount":null,"ended_at":null,
         "items":{"object":"list","data":[{"id":"si_QXfNdf1CptZmVh","object":"subscription_item","created":1721917701,"metadata":{},
           "price":{"id":"price_1PgafmB7WZ01zgkWSY1n2Jxb","object":"price","active":true,"currency":"usd","product":"prod_QXfKUXfC0vnLtr",
                    "recurring":{"interval":"month","interval_count":1,"usage_type":"licensed"},"type":"recurring","unit_amount":2000},
           "quantity":3,"subscription":"sub_1PgaiTB7WZ01zgkWq2Ao8PcS"}],"has_more":false,"url":"/v1/subscription_items?subscription=sub_1PgaiTB7WZ01zgkWq2Ao8PcS"},
         "latest_invoice":"in_1PgaiTB7WZ01zgkWtmnpLDBs","livemode":false,"metadata":{"team":"acme"},"pause_collection":null,
         "pending_update":null,"start_date":1721917700,"status":"active","trial_end":null,"trial_start":null}
        """#)

    static let invoice = parse(
        #"""
        {"id":"in_1PgaiTB7WZ01zgkWtmnpLDBs","object":"invoice","account_country":"US","amount_due":6000,"amount_paid":6000,
         "amount_remaining":0,"attempt_count":1,"attempted":true,"billing_reason":"subscription_create","collection_method":"charge_automatically",
         "created":1721917700,"currency":"usd","customer":"cus_QXfLr2Ab0f4n8Q","customer_email":"billing@acme.example","customer_name":"Jenny Rosen",
         "due_date":null,"hosted_invoice_url":"https://invoice.stripe.com/i/acct_1PgafB7WZ01zgkW/test_YWNjdF8x","invoice_pdf":"https://pay.stripe.com/invoice/acct_1PgafB7WZ01zgkW/test_YWNjdF8x/pdf",
         "livemode":false,"metadata":{},"number":"5F3A1C2B-0001","paid":true,"payment_intent":"pi_3PgaiUB7WZ01zgkW1uGg2ZLa",
         "period_end":1721917700,"period_start":1721917700,"status":"paid","subscription":"sub_1PgaiTB7WZ01zgkWq2Ao8PcS",
         "subtotal":6000,"tax":null,"total":6000}
        """#)

    static let charge = parse(
        #"""
        {"id":"ch_3PgahVB7WZ01zgkW0wXKq2Ne","object":"charge","amount":2000,"amount_captured":2000,"amount_refunded":0,
         "balance_transaction":"txn_3PgahVB7WZ01zgkW0YdRqvOl","billing_details":{"address":{"country":"US","postal_code":"94107"},"email":"billing@acme.example","name":"Jenny Rosen","phone":null},
         "captured":true,"created":1721917650,"currency":"usd","customer":"cus_QXfLr2Ab0f4n8Q","description":"Order 1234","disputed":false,
         "failure_code":null,"failure_message":null,"livemode":false,"metadata":{"order_id":"1234"},
         "outcome":{"network_status":"approved_by_network","reason":null,"risk_level":"normal","risk_score":32,"seller_message":"Payment complete.","type":"authorized"},
         "paid":true,"payment_intent":"pi_3PgahVB7WZ01zgkW0c8QWvAn","payment_method":"pm_1PgahUB7WZ01zgkWh9Vq7CZs",
         "payment_method_details":{"card":{"brand":"visa","country":"US","exp_month":12,"exp_year":2030,"funding":"credit","last4":"4242","network":"visa"},"type":"card"},
         "receipt_email":"billing@acme.example","receipt_url":"https://pay.stripe.com/receipts/payment/CAcaFwoVYWNjdF8x","refunded":false,"status":"succeeded"}
        """#)

    static let paymentIntent = parse(
        #"""
        {"id":"pi_3PgahVB7WZ01zgkW0c8QWvAn","object":"payment_intent","amount":2000,"amount_capturable":0,"amount_received":2000,
         "automatic_payment_methods":{"allow_redirects":"always","enabled":true},"canceled_at":null,"cancellation_reason":null,
         "capture_method":"automatic_async","client_secret":"pi_3PgahVB7WZ01zgkW0c8QWvAn_secret_redacted","confirmation_method":"automatic",
         "created":1721917649,"currency":"usd","customer":"cus_QXfLr2Ab0f4n8Q","description":"Order 1234","last_payment_error":null,
         "latest_charge":"ch_3PgahVB7WZ01zgkW0wXKq2Ne","livemode":false,"metadata":{"order_id":"1234"},"next_action":null,
         "payment_method":"pm_1PgahUB7WZ01zgkWh9Vq7CZs","payment_method_types":["card","link"],"receipt_email":"billing@acme.example",
         "status":"succeeded"}
        """#)

    static let account = parse(
        #"""
        {"id":"acct_1PgakQ2eZvKYlo2C","object":"account","business_profile":{"mcc":"5734","name":"Rocket Rides","url":"https://rocketrides.example"},
         "business_type":"company","capabilities":{"card_payments":"active","transfers":"active"},"charges_enabled":true,"country":"US",
         "created":1721917800,"default_currency":"usd","details_submitted":true,"email":"ops@rocketrides.example","metadata":{},
         "payouts_enabled":true,"requirements":{"currently_due":[],"disabled_reason":null,"eventually_due":[],"past_due":[]},"type":"express"}
        """#)

    static let externalAccount = parse(
        #"""
        {"id":"ba_1PgalB2eZvKYlo2CQ2NW2pQ9","object":"bank_account","account":"acct_1PgakQ2eZvKYlo2C","account_holder_name":"Rocket Rides Inc",
         "account_holder_type":"company","bank_name":"STRIPE TEST BANK","country":"US","currency":"usd","default_for_currency":true,
         "fingerprint":"1JWtPxqbdX5Gamtc","last4":"6789","metadata":{},"routing_number":"110000000","status":"new"}
        """#)

    static let person = parse(
        #"""
        {"id":"person_1PgamC2eZvKYlo2CyPLQZ3eS","object":"person","account":"acct_1PgakQ2eZvKYlo2C","created":1721917900,
         "email":"jenny@rocketrides.example","first_name":"Jenny","last_name":"Rosen","metadata":{},
         "relationship":{"director":false,"executive":true,"owner":true,"percent_ownership":60,"representative":true,"title":"CEO"},
         "requirements":{"currently_due":[],"eventually_due":[],"past_due":[]},"verification":{"status":"verified"}}
        """#)

    static let payout = parse(
        #"""
        {"id":"po_1PganD2eZvKYlo2CmvF3Ly8V","object":"payout","amount":125000,"arrival_date":1722124800,"automatic":true,
         "balance_transaction":"txn_1PganD2eZvKYlo2C2f2Q0oyq","created":1721918000,"currency":"usd","description":"STRIPE PAYOUT",
         "destination":"ba_1PgalB2eZvKYlo2CQ2NW2pQ9","failure_code":null,"failure_message":null,"livemode":false,"metadata":{},
         "method":"standard","reconciliation_status":"in_progress","source_type":"card","statement_descriptor":null,"status":"paid","type":"bank_account"}
        """#)

    static let invoiceItem = parse(
        #"""
        {"id":"ii_1PgaoE2eZvKYlo2C8hGi2wQ4","object":"invoiceitem","amount":1500,"currency":"usd","customer":"cus_QXfLr2Ab0f4n8Q",
         "date":1721918100,"description":"One-time setup fee","discountable":true,"invoice":null,"livemode":false,"metadata":{},
         "period":{"end":1721918100,"start":1721918100},"price":{"id":"price_1PgaoD2eZvKYlo2CsetupFee","object":"price","currency":"usd","type":"one_time","unit_amount":1500},
         "proration":false,"quantity":1,"subscription":null,"unit_amount":1500,"unit_amount_decimal":"1500"}
        """#)

    /// `base` with top-level fields replaced (e.g. a status that fits the event).
    static func with(_ base: JSON, _ changes: [String: JSON]) -> JSON {
        guard case .object(var object) = base else { return base }
        for (key, value) in changes { object[key] = value }
        return .object(object)
    }

    private static func parse(_ text: String) -> JSON {
        do { return try JSON(parsing: text) } catch { fatalError("invalid built-in Stripe example: \(error)") }
    }
}
