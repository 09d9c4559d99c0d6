//! The client against the real simulator over loopback: every API-facing
//! row of PRODUCT.md §2, every error class, throttling, faults.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use easyqr_test_harness::client::*;
use elepay::*;
use serde_json::json;

#[tokio::test]
async fn create_retrieve_close_with_bearer_and_basic() {
    let sim = sim().await;
    for (i, client) in [sim.client(), sim.basic_client()].into_iter().enumerate() {
        let mut req = code_req(1280, &format!("T-AUTH-{i}"));
        req.expiry_duration = Some(5);
        req.front_url = Some("https://shop.example.jp/thanks?o=T-AUTH".into());
        req.metadata = Some(BTreeMap::from([("register".into(), "R1".into())]));
        let code = client.create_code(&req).await.unwrap();
        assert_eq!(code.status, CodeStatus::Pending);
        assert_eq!(code.amount, 1280);
        assert_eq!(code.order_no.as_deref(), Some(req.order_no.as_str()));
        assert!(!code.live_mode, "sk_test_ key means test mode");
        let period = code.expiry_period.unwrap();
        assert!(period > 4 * 60_000 && period <= 5 * 60_000, "{period}");
        assert_eq!(
            code.expiry_time.unwrap() - code.create_time.unwrap(),
            5 * 60_000
        );
        assert!(code.code_url.as_deref().unwrap().starts_with("http"));

        let again = client.retrieve_code(&code.id).await.unwrap();
        assert_eq!(again.id, code.id);
        client.close_code(&code.id).await.unwrap();
        let closed = client.retrieve_code(&code.id).await.unwrap();
        assert_eq!(closed.status, CodeStatus::Closed);
        assert!(!closed.expired, "closed by DELETE, not by expiry");
    }
}

#[tokio::test]
async fn auth_failures_in_400_and_401_flavours() {
    let sim = sim().await;
    let wrong = sim.client_with("sk_test_wrongkey", |_| {});
    let e = wrong.retrieve_code("cod_x").await.unwrap_err();
    assert!(e.is_auth_failure(), "{e}");
    assert_eq!(e.api().unwrap().status, 400);
    assert_eq!(e.code(), "M004001");

    let (s, _) = sim
        .admin("/_sim/config", json!({ "authErrorStatus": 401 }))
        .await;
    assert_eq!(s, 200);
    let e = wrong.list_code_payment_methods().await.unwrap_err();
    assert!(e.is_auth_failure());
    assert_eq!(e.api().unwrap().status, 401);

    // A publishable key never gets as far as a request.
    assert_eq!(
        SecretKey::parse("pk_test_abc").unwrap_err(),
        KeyError::Publishable
    );
}

#[tokio::test]
async fn missing_auth_header_is_m004002() {
    let sim = sim().await;
    let r = reqwest::get(sim.base.join("/codes/cod_x").unwrap())
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["errorCode"], "M004002");
    assert!(v["requestId"].as_str().unwrap().len() > 4);
}

#[tokio::test]
async fn invalid_input_is_refused_before_sending() {
    let sim = sim().await;
    let client = sim.client();
    let mut req = code_req(100, "T-VAL-1");
    req.expiry_duration = Some(31);
    let e = client.create_code(&req).await.unwrap_err();
    match &e {
        Error::Invalid(v) => assert_eq!(v.field, "expiryDuration"),
        other => panic!("expected Invalid, got {other}"),
    }
    assert!(!e.write_may_have_happened());
    req.expiry_duration = None;
    req.front_url = Some("javascript:alert(1)".into());
    assert!(matches!(
        client.create_code(&req).await,
        Err(Error::Invalid(_))
    ));
    assert!(sim.codes().await.is_empty(), "nothing reached the server");
}

#[tokio::test]
async fn server_side_validation_names_the_parameter() {
    // The simulator validates independently of the client: bypass the client's
    // checks with a raw request.
    let sim = sim().await;
    let r = reqwest::Client::new()
        .post(sim.base.join("/codes").unwrap())
        .bearer_auth(KEY)
        .json(&json!({ "amount": 100, "orderNo": "x", "expiryDuration": 60 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["errorCode"], "M002002");
    assert_eq!(v["parameterName"], "expiryDuration");
}

#[tokio::test]
async fn order_no_rules_follow_the_faq() {
    let sim = sim().await;
    let client = sim.client();

    // Pending and unexpired: a second create is refused with the FAQ error.
    let first = client.create_code(&code_req(500, "T-ORD-1")).await.unwrap();
    let e = client
        .create_code(&code_req(500, "T-ORD-1"))
        .await
        .unwrap_err();
    assert!(e.is_order_no_in_use());
    let api = e.api().unwrap();
    assert_eq!(api.status, 400);
    assert_eq!(api.error_code, Some(ErrorCode::OrderNoAlreadyUsed));
    assert_eq!(api.legacy_code.as_deref(), Some("9_000_000_40022"));
    assert_eq!(
        api.message.as_deref(),
        Some("該当注文番号はすでに支払済み。")
    );
    assert!(api.request_id.is_some());
    assert!(!e.write_may_have_happened(), "a refusal created nothing");

    // Messages follow Accept-Language.
    let e = sim
        .en_client()
        .create_code(&code_req(500, "T-ORD-1"))
        .await
        .unwrap_err();
    let msg = e.api().unwrap().message.clone().unwrap();
    assert!(msg.is_ascii() && !msg.is_empty(), "{msg}");

    // Closed: reuse allowed.
    client.close_code(&first.id).await.unwrap();
    let second = client.create_code(&code_req(500, "T-ORD-1")).await.unwrap();
    assert_ne!(second.id, first.id);

    // Paid: refused again, even after the code's expiry time.
    sim.pay(&second.id, "paypay").await;
    sim.advance(31 * 60_000).await;
    let e = client
        .create_code(&code_req(500, "T-ORD-1"))
        .await
        .unwrap_err();
    assert!(e.is_order_no_in_use());

    // Expired: reuse allowed.
    let mut req = code_req(700, "T-ORD-2");
    req.expiry_duration = Some(3);
    client.create_code(&req).await.unwrap();
    sim.advance(3 * 60_000 + 1).await;
    client.create_code(&req).await.unwrap();
}

#[tokio::test]
async fn expiry_is_reported_by_the_server() {
    let sim = sim().await;
    let client = sim.client();
    let mut req = code_req(300, "T-EXP-1");
    req.expiry_duration = Some(3);
    let code = client.create_code(&req).await.unwrap();
    sim.advance(60_000).await;
    let c = client.retrieve_code(&code.id).await.unwrap();
    let left = c.expiry_period.unwrap();
    assert!(left <= 2 * 60_000 && left > 2 * 60_000 - 5_000, "{left}");
    assert_eq!(c.status, CodeStatus::Pending);
    sim.advance(2 * 60_000).await;
    let c = client.retrieve_code(&code.id).await.unwrap();
    assert_eq!(c.status, CodeStatus::Closed);
    assert!(c.expired);
    assert_eq!(c.expiry_period, Some(0));
    // Closing an expired code says so.
    let e = client.close_code(&code.id).await.unwrap_err();
    assert!(e.api().unwrap().is_code_expired(), "{e}");
}

#[tokio::test]
async fn paid_code_carries_its_charge_and_cannot_be_closed() {
    let sim = sim().await;
    let client = sim.client();
    let mut req = code_req(1280, "T-PAY-1");
    req.location_id = Some("loc_store_1".into());
    req.metadata = Some(BTreeMap::from([("shift".into(), "S9".into())]));
    let code = client.create_code(&req).await.unwrap();
    sim.pay(&code.id, "linepay").await;

    let paid = client.retrieve_code(&code.id).await.unwrap();
    assert_eq!(paid.status, CodeStatus::Captured);
    let charge = paid.charge.unwrap();
    assert_eq!(charge.amount, 1280);
    assert_eq!(charge.status, ChargeStatus::Captured);
    assert_eq!(charge.order_no.as_deref(), Some("T-PAY-1"));
    assert_eq!(charge.payment_method.as_ref().unwrap().as_str(), "linepay");
    assert_eq!(charge.metadata.as_ref().unwrap()["shift"], "S9");
    assert_eq!(charge.location_id(), Some("loc_store_1"));
    assert!(charge.paid_time.is_some());

    let again = client.retrieve_charge(&charge.id).await.unwrap();
    assert_eq!(again.id, charge.id);
    let st = client.retrieve_charge_status(&charge.id).await.unwrap();
    assert_eq!(st.status, ChargeStatus::Captured);

    let e = client.close_code(&code.id).await.unwrap_err();
    assert!(e.api().unwrap().is_code_paid_or_cancelled(), "{e}");

    let e = client
        .retrieve_charge("cha_doesnotexist")
        .await
        .unwrap_err();
    assert!(e.api().unwrap().is_not_found(), "{e}");
}

#[tokio::test]
async fn charges_list_filters_and_pages() {
    let sim = sim().await;
    let client = sim.client();
    let methods = [
        "paypay", "linepay", "paypay", "aupay", "paypay", "linepay", "paypay",
    ];
    for (i, m) in methods.iter().enumerate() {
        let code = client
            .create_code(&code_req(100 + i as i64, &format!("T-LIST-{i}")))
            .await
            .unwrap();
        sim.pay(&code.id, m).await;
        sim.advance(1_000).await;
    }
    let page = client
        .list_charges(&ListChargesParams {
            limit: Some(3),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 7);
    assert_eq!(page.charges.len(), 3);
    // Default order is newest first.
    assert_eq!(page.charges[0].order_no.as_deref(), Some("T-LIST-6"));

    let all = client
        .list_all_charges(&ListChargesParams {
            order: Some(SortOrder::Asc),
            ..Default::default()
        })
        .await
        .unwrap();
    let nos: Vec<_> = all.iter().map(|c| c.order_no.clone().unwrap()).collect();
    assert_eq!(
        nos,
        (0..7).map(|i| format!("T-LIST-{i}")).collect::<Vec<_>>()
    );

    let paypay = client
        .list_all_charges(&ListChargesParams {
            payment_methods: vec![PaymentMethod::new("paypay")],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(paypay.len(), 4);
    let two = client
        .list_charges(&ListChargesParams {
            payment_methods: vec![PaymentMethod::new("aupay"), PaymentMethod::new("linepay")],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(two.total, 3);

    // Time window on paid_time: the middle three payments.
    let t0 = all[2].paid_time.unwrap();
    let t1 = all[4].paid_time.unwrap();
    let window = client
        .list_all_charges(&ListChargesParams {
            from: Some(t0),
            to: Some(t1),
            date_field: Some(ChargeDateField::PaidTime),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(window.len(), 3);

    assert!(matches!(
        client
            .list_charges(&ListChargesParams {
                limit: Some(101),
                ..Default::default()
            })
            .await,
        Err(Error::Invalid(_))
    ));
}

#[tokio::test]
async fn refunds_partial_full_and_limits() {
    let sim = sim().await;
    let client = sim.client();
    let code = client
        .create_code(&code_req(1000, "T-REF-1"))
        .await
        .unwrap();
    let charge_id = sim.pay(&code.id, "paypay").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let refund = |amount: i64, reason: &str| RefundReq {
        amount: Amount::new(amount).unwrap(),
        currency: None,
        metadata: None,
        reason: Some(reason.into()),
    };
    let r1 = client
        .create_refund(&charge_id, &refund(300, "返品"))
        .await
        .unwrap();
    assert_eq!(r1.status, RefundStatus::Pending);
    assert_eq!(r1.amount, 300);
    assert_eq!(r1.charge_id.as_deref(), Some(charge_id.as_str()));

    // Over the refundable remainder (700 left): refused, naming the amount.
    let e = client
        .create_refund(&charge_id, &refund(701, "too much"))
        .await
        .unwrap_err();
    let api = e.api().unwrap();
    assert_eq!(api.parameter_name.as_deref(), Some("amount"), "{e}");

    // Refund completes asynchronously.
    sim.advance(60_000).await;
    let r1b = client.retrieve_refund(&charge_id, &r1.id).await.unwrap();
    assert_eq!(r1b.status, RefundStatus::Refunded);
    assert!(r1b.refunded_time.is_some());
    let c = client.retrieve_charge(&charge_id).await.unwrap();
    assert_eq!(c.status, ChargeStatus::PartiallyRefunded);
    assert!(c.refunded);

    client
        .create_refund(&charge_id, &refund(700, "全額"))
        .await
        .unwrap();
    sim.advance(60_000).await;
    let c = client.retrieve_charge(&charge_id).await.unwrap();
    assert_eq!(c.status, ChargeStatus::Refunded);
    assert_eq!(c.refunds.as_ref().unwrap().amount, 1000);
    let list = client.list_refunds(&charge_id).await.unwrap();
    assert_eq!(list.total, 2);

    let e = client
        .create_refund(&charge_id, &refund(1, "again"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Api { .. }), "{e}");
}

#[tokio::test]
async fn payment_methods_list() {
    let sim = sim().await;
    let pm = sim.client().list_code_payment_methods().await.unwrap();
    assert_eq!(pm.total as usize, pm.payment_methods.len());
    let names: Vec<_> = pm
        .payment_methods
        .iter()
        .map(|m| m.payment_method.as_str().to_owned())
        .collect();
    for want in ["paypay", "linepay", "creditcard"] {
        assert!(names.iter().any(|n| n == want), "{names:?}");
    }
    assert!(
        pm.payment_methods[0]
            .channel_properties
            .as_ref()
            .unwrap()
            .is_support_refund
    );
}

#[tokio::test]
async fn dropped_response_after_commit_is_outcome_unknown_and_the_code_exists() {
    let sim = sim().await;
    let client = sim.client();
    sim.fault(json!({ "endpoint": "createCode", "kind": "dropAfterCommit" }))
        .await;
    let e = client
        .create_code(&code_req(1280, "T-DROP-1"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::OutcomeUnknown { .. }), "{e}");
    assert!(e.write_may_have_happened());
    assert_eq!(e.code(), "outcome_unknown");

    // The server did create it: the orphan is real and payable...
    let codes = sim.codes().await;
    assert_eq!(codes.len(), 1);
    assert_eq!(codes[0]["orderNo"], "T-DROP-1");
    // ...and blindly retrying the same orderNo now fails (FACTS unknown 4),
    // which is why the engine burns the orderNo instead.
    let e = client
        .create_code(&code_req(1280, "T-DROP-1"))
        .await
        .unwrap_err();
    assert!(e.is_order_no_in_use());
}

#[tokio::test]
async fn timeout_is_outcome_unknown_and_not_retried() {
    let sim = sim().await;
    let client = sim.client_with(KEY, |c| c.timeout = Duration::from_millis(300));
    sim.fault(json!({ "endpoint": "createCode", "kind": "latency", "latencyMs": 2000 }))
        .await;
    let e = client
        .create_code(&code_req(1280, "T-TMO-1"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::OutcomeUnknown { .. }), "{e}");
    assert!(e.write_may_have_happened());
    // Exactly one code: the client did not resend the create.
    assert_eq!(sim.codes().await.len(), 1);
}

#[tokio::test]
async fn connection_reset_is_outcome_unknown() {
    let sim = sim().await;
    sim.fault(json!({ "endpoint": "createCode", "kind": "reset" }))
        .await;
    let e = sim
        .client()
        .create_code(&code_req(1280, "T-RST-1"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::OutcomeUnknown { .. }), "{e}");
}

#[tokio::test]
async fn refused_connection_is_not_sent() {
    // Bind then drop a listener: the port is (almost certainly) closed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = Client::new(
        SecretKey::parse(KEY).unwrap(),
        ClientConfig {
            retry: RetryPolicy::none(),
            ..ClientConfig::with_base_url(format!("http://127.0.0.1:{port}").parse().unwrap())
        },
    )
    .unwrap();
    let e = client
        .create_code(&code_req(1, "T-REF-CONN"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotSent { .. }), "{e}");
    assert!(!e.write_may_have_happened());
}

#[tokio::test]
async fn server_errors_retry_reads_but_not_creates() {
    let sim = sim().await;
    let client = sim.client();
    let code = client.create_code(&code_req(100, "T-5XX-1")).await.unwrap();

    sim.fault(json!({ "endpoint": "retrieveCode", "kind": "http5xx", "status": 503, "count": 2 }))
        .await;
    let c = client.retrieve_code(&code.id).await.unwrap();
    assert_eq!(c.id, code.id, "read succeeded after two retried 503s");

    sim.fault(json!({ "endpoint": "createCode", "kind": "http5xx", "count": 1 }))
        .await;
    let e = client
        .create_code(&code_req(100, "T-5XX-2"))
        .await
        .unwrap_err();
    // Had the client retried, the second attempt would have succeeded.
    assert_eq!(e.api().unwrap().status, 500);
    assert_eq!(e.code(), "S001000");
    assert!(e.write_may_have_happened());
}

#[tokio::test]
async fn throttling_as_400_or_429_is_retried_even_for_creates() {
    let sim = sim().await;
    let client = sim.client();
    for status in [400, 429] {
        sim.fault(
            json!({ "endpoint": "createCode", "kind": "throttle", "status": status, "count": 2 }),
        )
        .await;
        let code = client
            .create_code(&code_req(100, &format!("T-THR-{status}")))
            .await
            .unwrap();
        assert_eq!(code.status, CodeStatus::Pending);
    }
    // Without retries the caller sees a throttle error it can recognise.
    let no_retry = sim.client_with(KEY, |c| c.retry = RetryPolicy::none());
    sim.fault(json!({ "endpoint": "retrieveCode", "kind": "throttle", "count": 1 }))
        .await;
    let e = no_retry.retrieve_code("cod_any").await.unwrap_err();
    assert!(e.is_throttled(), "{e}");
    assert_eq!(e.code(), "M005000");
}

#[tokio::test]
async fn undecodable_response_keeps_a_truncated_body() {
    // A server that answers 201 with garbage: the create happened but could
    // not be read.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 8192];
        let _ = s.read(&mut buf).await;
        let body = "<html>".to_owned() + &"x".repeat(2000);
        let resp = format!(
            "HTTP/1.1 201 Created\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(resp.as_bytes()).await.unwrap();
    });
    let client = Client::new(
        SecretKey::parse(KEY).unwrap(),
        ClientConfig::with_base_url(format!("http://{addr}").parse().unwrap()),
    )
    .unwrap();
    let e = client
        .create_code(&code_req(1, "T-DEC-1"))
        .await
        .unwrap_err();
    match &e {
        Error::Decode { status, raw, .. } => {
            assert_eq!(*status, 201);
            assert!(raw.starts_with("<html>"));
            assert_eq!(raw.len(), Error::RAW_LIMIT);
        }
        other => panic!("expected Decode, got {other}"),
    }
    assert!(e.write_may_have_happened());
}

#[tokio::test]
async fn key_rotation_overlap_lasts_three_days() {
    let sim = sim().await;
    let old = sim.client();
    let new_key = "sk_test_rotated0002";
    let (s, v) = sim
        .admin("/_sim/keys/rotate", json!({ "secretKey": new_key }))
        .await;
    assert_eq!(s, 200, "{v}");
    let new = old.with_key(SecretKey::parse(new_key).unwrap());
    let code = old.create_code(&code_req(100, "T-ROT-1")).await.unwrap();
    // Codes made under the old key stay readable with the new one.
    assert_eq!(new.retrieve_code(&code.id).await.unwrap().id, code.id);
    sim.advance(3 * 24 * 3_600_000 - 60_000).await;
    assert!(
        old.list_code_payment_methods().await.is_ok(),
        "still inside the overlap"
    );
    sim.advance(120_000).await;
    let e = old.list_code_payment_methods().await.unwrap_err();
    assert!(e.is_auth_failure(), "{e}");
    assert!(new.list_code_payment_methods().await.is_ok());
}

#[tokio::test]
async fn errors_never_contain_the_secret() {
    let sim = sim().await;
    let secret = "sk_test_neverprintme123";
    let client = sim.client_with(secret, |c| c.retry = RetryPolicy::none());
    let e = client.retrieve_code("cod_x").await.unwrap_err();
    for shown in [format!("{e}"), format!("{e:?}"), format!("{client:?}")] {
        assert!(!shown.contains("neverprintme"), "{shown}");
    }
}
