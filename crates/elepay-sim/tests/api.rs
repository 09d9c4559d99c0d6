//! elepay API paths over real HTTP: auth, errors, codes, charges, refunds.

use easyqr_test_harness::api;
use easyqr_test_harness::api::{assert_error, basic, start, Api, KEY, T0};
use serde_json::{json, Value};

#[tokio::test]
async fn auth_schemes_and_failures() {
    let (_sim, api) = start().await;
    // Basic with and without the trailing colon, Bearer, any scheme case.
    for auth in [
        basic(KEY),
        format!(
            "basic {}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, KEY)
        ),
        format!("Bearer {KEY}"),
        format!("BEARER {KEY}"),
    ] {
        let a = Api {
            auth: Some(auth.clone()),
            ..api.clone()
        };
        assert_eq!(
            a.get("/code-setting/payment-methods").await.status,
            200,
            "{auth}"
        );
    }
    let cases = [
        (None, "M004002"),
        (Some("Digest abc".to_owned()), "M004002"),
        (Some("Bearer sk_test_wrong".to_owned()), "M004001"),
        (Some(basic("sk_test_wrong")), "M004001"),
        (Some("Bearer pk_test_abc".to_owned()), "M004003"),
    ];
    for (auth, code) in &cases {
        let a = Api {
            auth: auth.clone(),
            ..api.clone()
        };
        let r = a.get("/codes/cod_x").await;
        assert_error(&r, 400, code, None);
    }
    let bad = Api {
        auth: Some("Bearer sk_test_wrong".into()),
        ..api.clone()
    };
    assert_eq!(
        bad.get("/codes/x").await.json["message"],
        "提供されたAPIキーが無効です。"
    );

    // The 401 switch changes only the HTTP status.
    let r = api
        .post("/_sim/config", &json!({"authErrorStatus": 401}))
        .await;
    assert_eq!(r.json["authErrorStatus"], 401);
    for (auth, code) in cases {
        let a = Api {
            auth,
            ..api.clone()
        };
        assert_error(&a.get("/charges").await, 401, code, None);
    }
    assert_eq!(api.get("/charges").await.status, 200);
    let r = api
        .post("/_sim/config", &json!({"authErrorStatus": 403}))
        .await;
    assert_error(&r, 400, "M002002", Some("authErrorStatus"));
}

#[tokio::test]
async fn key_rotation_overlap_on_sim_clock() {
    let (sim, api) = start().await;
    let r = api
        .post(
            "/_sim/keys/rotate",
            &json!({"secretKey": "sk_test_new", "overlapMs": 60_000}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let new = Api {
        auth: Some("Bearer sk_test_new".to_owned()),
        ..api.clone()
    };
    assert_eq!(api.get("/charges").await.status, 200);
    assert_eq!(new.get("/charges").await.status, 200);
    api.advance(60_000).await;
    assert_error(&api.get("/charges").await, 400, "M004001", None);
    assert_eq!(new.get("/charges").await.status, 200);
    // Added keys work at once; live keys stamp liveMode.
    let r = api
        .post("/_sim/keys", &json!({"secretKey": "sk_live_x"}))
        .await;
    assert_eq!(r.status, 200);
    let live = Api {
        auth: Some(basic("sk_live_x")),
        ..api.clone()
    };
    let code = live.create_code("LIVE-1", 100).await;
    assert_eq!(code["liveMode"], true);
    // Live objects are invisible to test keys.
    let id = code["id"].as_str().expect("id");
    assert_error(
        &new.get(&format!("/codes/{id}")).await,
        400,
        "M002003",
        None,
    );
    assert!(sim.control().add_key("pk_live_x").is_err());
    let r = api
        .post("/_sim/keys", &json!({"secretKey": "pk_test_x"}))
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn create_code_returns_code_dto() {
    let (_sim, api) = start().await;
    let r = api
        .post(
            "/codes",
            &json!({
                "amount": 1280, "orderNo": "ORD-1", "description": "coffee",
                "metadata": {"till": "3"}, "extra": {"defaultPaymentMethod": "paypay"},
                "expiryDuration": 5, "frontUrl": "https://shop.example/done",
                "items": [{"name": "Latte", "price": 640, "count": 2, "image": "https://img.example/l.png"}],
                "locationId": "loc_1"
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json;charset=utf-8")
    );
    let c = &r.json;
    let id = c["id"].as_str().expect("id");
    assert!(id.starts_with("cod_") && id.len() <= 32);
    assert_eq!(c["object"], "code");
    assert_eq!(c["liveMode"], false);
    assert_eq!(c["codeUrl"], api.url(&format!("/pay/code/{id}")));
    assert_eq!(c["status"], "pending");
    assert_eq!(c["currency"], "JPY");
    assert_eq!(c["expired"], false);
    assert_eq!(c["createTime"], T0);
    assert_eq!(c["expiryTime"], T0 + 5 * 60_000);
    assert_eq!(c["expiryPeriod"], 5 * 60_000);
    assert_eq!(c["metadata"]["till"], "3");
    assert_eq!(c["items"][0]["count"], 2);
    assert_eq!(c["locationId"], "loc_1");
    assert!(c.get("charge").is_none(), "no charge while pending");
    assert!(!r.text.contains("null"), "{}", r.text);
}

#[tokio::test]
async fn create_code_validation_names_parameter() {
    let (_sim, api) = start().await;
    let cases = [
        (json!({"orderNo": "A"}), "M002001", "amount"),
        (json!({"amount": 0, "orderNo": "A"}), "M002002", "amount"),
        (json!({"amount": 10}), "M002001", "orderNo"),
        (
            json!({"amount": 10, "orderNo": "x".repeat(51)}),
            "M002002",
            "orderNo",
        ),
        (
            json!({"amount": 10, "orderNo": "A", "currency": "USD"}),
            "M002009",
            "currency",
        ),
        (
            json!({"amount": 10, "orderNo": "A", "expiryDuration": 60}),
            "M002002",
            "expiryDuration",
        ),
        (
            json!({"amount": 10, "orderNo": "A", "frontUrl": "shop.example"}),
            "M002002",
            "frontUrl",
        ),
        (
            json!({"amount": 10, "orderNo": "A", "metadata": {"__k": "v"}}),
            "M002002",
            "metadata",
        ),
    ];
    for (body, code, param) in cases {
        let r = api.post("/codes", &body).await;
        assert_error(&r, 400, code, Some(param));
    }
    let r = api.post("/codes", &json!({"orderNo": "A"})).await;
    assert_eq!(r.json["code"], "9_000_000_10102");
    let r = api.post("/codes", &json!({"amount": 10})).await;
    assert_eq!(r.json["code"], "9_000_000_40012");
    let r = api
        .post("/codes", &json!({"amount": 10, "orderNo": "x".repeat(51)}))
        .await;
    assert_eq!(r.json["code"], "9_000_000_40021");
    let r = api
        .send(api.client.post(api.url("/codes")).body("[1]"))
        .await;
    assert_error(&r, 400, "M002002", None);
    assert_eq!(r.json["code"], "9_000_000_40027");
    // Nothing was stored by the rejected requests.
    assert_eq!(api.get("/_sim/codes").await.json["total"], 0);
}

#[tokio::test]
async fn order_no_rules_follow_the_faq() {
    let (_sim, api) = start().await;
    // Pending and unexpired blocks reuse.
    let first = api.create_code("ORD-9", 500).await;
    let r = api
        .post("/codes", &json!({"amount": 500, "orderNo": "ORD-9"}))
        .await;
    assert_error(&r, 400, "M002007", None);
    assert_eq!(r.json["code"], "9_000_000_40022");
    assert_eq!(r.json["message"], "該当注文番号はすでに支払済み。");
    // Closed (DELETE) frees it.
    let id = first["id"].as_str().expect("id");
    assert_eq!(api.delete(&format!("/codes/{id}")).await.status, 204);
    let second = api.create_code("ORD-9", 500).await;
    // Expired frees it.
    api.advance(10 * 60_000).await;
    let third = api.create_code("ORD-9", 500).await;
    assert_ne!(second["id"], third["id"]);
    // Captured blocks it for good, with the exact FAQ fields.
    let tid = third["id"].as_str().expect("id");
    let r = api
        .post(
            &format!("/_sim/codes/{tid}/pay"),
            &json!({"paymentMethod": "paypay"}),
        )
        .await;
    assert_eq!(r.status, 200);
    api.advance(60 * 60_000).await;
    let r = api
        .post("/codes", &json!({"amount": 500, "orderNo": "ORD-9"}))
        .await;
    assert_error(&r, 400, "M002007", None);
    let keys: Vec<&String> = r.json.as_object().expect("obj").keys().collect();
    assert_eq!(keys.len(), 4, "{}", r.text);
    // English when asked for.
    let r = api
        .send(
            api.client
                .post(api.url("/codes"))
                .header("accept-language", "en-US,en;q=0.9")
                .json(&json!({"amount": 500, "orderNo": "ORD-9"})),
        )
        .await;
    assert_eq!(r.json["message"], "The order number has already been paid.");
    assert_eq!(r.json["errorCode"], "M002007");
}

#[tokio::test]
async fn expiry_is_recomputed_on_read() {
    let (_sim, api) = start().await;
    let r = api
        .post(
            "/codes",
            &json!({"amount": 100, "orderNo": "E1", "expiryDuration": 3}),
        )
        .await;
    let id = r.json["id"].as_str().expect("id").to_owned();
    let path = format!("/codes/{id}");
    assert_eq!(api.get(&path).await.json["expiryPeriod"], 180_000);
    api.advance(60_000).await;
    let c = api.get(&path).await.json;
    assert_eq!(
        (c["status"].clone(), c["expiryPeriod"].clone()),
        (json!("pending"), json!(120_000))
    );
    api.advance(119_999).await;
    assert_eq!(api.get(&path).await.json["expiryPeriod"], 1);
    api.advance(1).await;
    let c = api.get(&path).await.json;
    assert_eq!(c["status"], "closed");
    assert_eq!(c["expired"], true);
    assert_eq!(c["expiryPeriod"], 0);
    // Expired codes cannot be closed or paid.
    assert_error(&api.delete(&path).await, 400, "M006004", None);
    let r = api.post(&format!("/_sim/codes/{id}/pay"), &json!({})).await;
    assert_error(&r, 409, "M006004", None);
}

#[tokio::test]
async fn close_semantics() {
    let (_sim, api) = start().await;
    let id = api.create_code("C1", 100).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/codes/{id}");
    let r = api.delete(&path).await;
    assert_eq!(r.status, 204);
    assert!(r.text.is_empty());
    let c = api.get(&path).await.json;
    assert_eq!(
        (c["status"].clone(), c["expired"].clone()),
        (json!("closed"), json!(false))
    );
    let r = api.delete(&path).await;
    assert_error(&r, 400, "M006003", None);
    assert_eq!(
        r.json["message"],
        "該当コードはすでに支払われたか、またはキャンセルされています。"
    );
    // Paid codes cannot be closed either.
    let paid = api.create_code("C2", 100).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    api.post(
        &format!("/_sim/codes/{paid}/pay"),
        &json!({"paymentMethod": "aupay"}),
    )
    .await;
    assert_error(
        &api.delete(&format!("/codes/{paid}")).await,
        400,
        "M006003",
        None,
    );
    let c = api.get(&format!("/codes/{paid}")).await.json;
    assert_eq!(c["status"], "captured");
    assert_eq!(c["charge"]["paymentMethod"], "aupay");
    assert_eq!(c["charge"]["orderNo"], "C2");
    // Unknown.
    let r = api.delete("/codes/cod_nope").await;
    assert_error(&r, 400, "M002003", None);
    assert_eq!(r.json["code"], "9_000_000_10111");
}

#[tokio::test]
async fn routing_errors_and_request_ids() {
    let (_sim, api) = start().await;
    let r = api.get("/no/such/path").await;
    assert_error(&r, 404, "M002003", None);
    let r = api.send(api.client.put(api.url("/codes"))).await;
    assert_error(&r, 400, "M003000", None);
    let a = api.get("/codes/x").await.json["requestId"].clone();
    let b = api.get("/codes/x").await.json["requestId"].clone();
    assert_ne!(a, b);
}

#[tokio::test]
async fn payment_methods_list() {
    let (_sim, api) = start().await;
    let r = api.get("/code-setting/payment-methods").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["total"], 8);
    let list = r.json["paymentMethods"].as_array().expect("list");
    let names: Vec<&str> = list
        .iter()
        .filter_map(|m| m["paymentMethod"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "paypay",
            "linepay",
            "docomopay",
            "aupay",
            "rakutenpay",
            "alipayplus",
            "wechatpay",
            "creditcard"
        ]
    );
    let card = &list[7];
    assert_eq!(card["brand"][0], "visa");
    assert_eq!(card["channelProperties"]["maxAmount"], 9_999_999);
    assert_eq!(list[0]["channelProperties"]["resourceWebEnv"], "all");
    assert_eq!(list[0]["resources"], json!(["web"]));
}

#[tokio::test]
async fn charge_read_endpoints() {
    let (_sim, api) = start().await;
    let charge = api.paid_charge("CH-1", 2500, "creditcard").await;
    let id = charge["id"].as_str().expect("id");
    assert!(id.starts_with("cha_"));
    assert_eq!(charge["status"], "captured");
    assert_eq!(charge["paid"], true);
    assert_eq!(charge["cardInfo"]["brand"], "visa");
    assert_eq!(charge["paidTime"], T0);
    let r = api.get(&format!("/charges/{id}")).await;
    assert_eq!(r.json, charge);
    let r = api.get(&format!("/charges/{id}/status")).await;
    assert_eq!(
        r.json,
        json!({"id": id, "appId": charge["appId"], "liveMode": false, "status": "captured"})
    );
    assert_error(&api.get("/charges/cha_nope").await, 400, "M002003", None);
}

#[tokio::test]
async fn charges_list_filters_and_pages() {
    let (_sim, api) = start().await;
    let mut ids = Vec::new();
    for (i, method) in ["paypay", "linepay", "paypay", "aupay", "paypay"]
        .iter()
        .enumerate()
    {
        let c = api
            .paid_charge(&format!("L{i}"), 100 + i as i64, method)
            .await;
        ids.push(c["id"].as_str().expect("id").to_owned());
        api.advance(1000).await;
    }
    let list = |r: &Value| -> Vec<String> {
        r["charges"]
            .as_array()
            .expect("charges")
            .iter()
            .map(|c| c["id"].as_str().expect("id").to_owned())
            .collect()
    };
    // Default: newest first.
    let r = api.get("/charges").await.json;
    assert_eq!(r["total"], 5);
    assert_eq!(list(&r), ids.iter().rev().cloned().collect::<Vec<_>>());
    // Paging keeps the total.
    let r = api.get("/charges?limit=2&offset=1&order=asc").await.json;
    assert_eq!(r["total"], 5);
    assert_eq!(list(&r), ids[1..3].to_vec());
    // Repeated paymentMethod.
    let r = api
        .get("/charges?paymentMethod=linepay&paymentMethod=aupay&order=asc")
        .await
        .json;
    assert_eq!(
        (r["total"].clone(), list(&r)),
        (json!(2), vec![ids[1].clone(), ids[3].clone()])
    );
    // Inclusive time window on paid_time.
    let r = api
        .get(&format!(
            "/charges?dateField=paid_time&from={}&to={}&sort=paid_time&order=asc",
            T0 + 1000,
            T0 + 3000
        ))
        .await
        .json;
    assert_eq!(list(&r), ids[1..4].to_vec());
    // Status filter sees refunds.
    api.post(
        &format!("/_sim/charges/{}/refund", ids[0]),
        &json!({"amount": 10}),
    )
    .await;
    api.advance(3000).await;
    let r = api.get("/charges?status=partially_refunded").await.json;
    assert_eq!(list(&r), vec![ids[0].clone()]);
    for (q, p) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("order=sideways", "order"),
        ("paymentMethod=cash", "paymentMethod"),
        ("status=paid", "status"),
        ("sort=amount", "sort"),
    ] {
        assert_error(
            &api.get(&format!("/charges?{q}")).await,
            400,
            "M002002",
            Some(p),
        );
    }
}

#[tokio::test]
async fn refunds_partial_full_and_over_limit() {
    let (_sim, api) = start().await;
    let charge = api.paid_charge("R1", 1000, "paypay").await;
    let cid = charge["id"].as_str().expect("id");
    let path = format!("/charges/{cid}/refunds");

    let r = api
        .post(
            &path,
            &json!({"amount": 300, "reason": "damaged", "metadata": {"by": "clerk"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let refund = r.json.clone();
    let rid = refund["id"].as_str().expect("id");
    assert!(rid.starts_with("ref_"));
    assert_eq!(refund["status"], "pending");
    assert_eq!(refund["chargeId"], cid);
    assert_eq!(refund["reason"], "damaged");
    assert!(refund.get("refundedTime").is_none());

    // Over the remaining amount (pending refunds count).
    let r = api.post(&path, &json!({"amount": 701})).await;
    assert_error(&r, 400, "M002002", Some("amount"));
    assert_error(
        &api.post(&path, &json!({})).await,
        400,
        "M002001",
        Some("amount"),
    );

    // Pending until the refund delay passes on the sim clock.
    let c = api.get(&format!("/charges/{cid}")).await.json;
    assert_eq!(
        (c["status"].clone(), c["refunded"].clone()),
        (json!("captured"), json!(false))
    );
    assert_eq!(c["refunds"]["totalCount"], 1);
    api.advance(3000).await;
    let r = api.get(&format!("{path}/{rid}")).await.json;
    assert_eq!(r["status"], "refunded");
    assert_eq!(r["refundedTime"], T0 + 3000);
    let c = api.get(&format!("/charges/{cid}")).await.json;
    assert_eq!(c["status"], "partially_refunded");
    assert_eq!(c["refunded"], true);
    assert_eq!(c["refundTime"], T0 + 3000);

    // The rest, then nothing more is refundable.
    assert_eq!(api.post(&path, &json!({"amount": 700})).await.status, 201);
    api.advance(3000).await;
    let c = api.get(&format!("/charges/{cid}")).await.json;
    assert_eq!(c["status"], "refunded");
    assert_eq!(c["refunds"]["amount"], 1000);
    let r = api.post(&path, &json!({"amount": 1})).await;
    assert_error(&r, 400, "M006000", None);
    assert_eq!(r.json["code"], "9_000_000_10108");

    let list = api.get(&path).await.json;
    assert_eq!(list["total"], 2);
    assert_error(
        &api.get(&format!("{path}/ref_nope")).await,
        400,
        "M002003",
        None,
    );
    assert_error(
        &api.post("/charges/cha_nope/refunds", &json!({"amount": 1}))
            .await,
        400,
        "M002003",
        None,
    );
}

#[tokio::test]
async fn dashboard_refund_behind_the_apps_back() {
    let (sim, api) = start().await;
    let charge = api.paid_charge("D1", 800, "linepay").await;
    let cid = charge["id"].as_str().expect("id");
    let r = api
        .post(
            &format!("/_sim/charges/{cid}/refund"),
            &json!({"amount": 800}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let refund = sim.control().admin_refund(cid, 1);
    assert!(refund.is_err(), "nothing left to refund");
    sim.control().advance_clock(3000).expect("advance");
    let c = api.get(&format!("/charges/{cid}/status")).await.json;
    assert_eq!(c["status"], "refunded");
}

#[tokio::test]
async fn clock_scale_drives_expiry_and_control_matches_admin() {
    let (sim, api) = start().await;
    let ctl = sim.control();
    assert_eq!(ctl.now_ms(), T0);
    let clock = api.get("/_sim/clock").await.json;
    assert_eq!(clock, json!({"now": T0, "scale": 0.0}));
    let id = api.create_code("S1", 100).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // 100 000× real time: 3 simulated minutes pass in under 2 real ms.
    let r = api
        .post("/_sim/clock/scale", &json!({"scale": 100_000.0}))
        .await;
    assert_eq!(r.json["scale"], 100_000.0);
    api::one_tick().await;
    assert!(ctl.now_ms() >= T0 + 600_000, "clock runs at scale");
    assert_eq!(api.get(&format!("/codes/{id}")).await.json["expired"], true);
    ctl.set_clock_scale(0.0).expect("freeze");
    assert!(ctl.set_clock_scale(-1.0).is_err());
    assert!(ctl.advance_clock(-5).is_err());
    let frozen = ctl.now_ms();
    api::one_tick().await;
    assert_eq!(ctl.now_ms(), frozen);
    // SimControl sees the same data as /_sim/codes.
    assert_eq!(ctl.codes().len(), 1);
    assert_eq!(ctl.codes()[0]["id"], id.as_str());
    let err = ctl.pay(&id, "paypay").expect_err("expired");
    assert!(err.to_string().contains("M006004"), "{err}");
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let (sim, api) = start().await;
    assert_eq!(api.get("/charges").await.status, 200);
    let fresh = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    sim.shutdown().await;
    assert!(fresh.get(api.url("/charges")).send().await.is_err());
}

#[tokio::test]
async fn the_simulator_counts_the_elepay_requests_it_answers() {
    let (_sim, api) = start().await;
    let id = api.create_code("REQ-1", 100).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for _ in 0..3 {
        assert_eq!(api.get(&format!("/codes/{id}")).await.status, 200);
    }
    // A refused request still reached elepay; admin calls are not elepay's.
    let anonymous = Api {
        auth: None,
        ..api.clone()
    };
    assert_eq!(anonymous.get(&format!("/codes/{id}")).await.status, 400);
    api.get("/_sim/codes").await;
    let counts = api.get("/_sim/requests").await.json;
    assert_eq!(
        counts,
        json!({"requests": {"createCode": 1, "retrieveCode": 4}, "total": 5})
    );
}
