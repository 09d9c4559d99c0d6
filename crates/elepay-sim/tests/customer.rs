//! The customer side (pay page) and webhooks, over real HTTP.

use std::sync::atomic::Ordering;

use easyqr_test_harness::api;
use easyqr_test_harness::api::{config, start, start_with, wait_for, Receiver, T0};
use elepay_sim::{DeliveryOutcome, WebhookBehaviour, WebhookEndpoint};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

async fn code_with(api: &api::Api, body: Value) -> (String, String) {
    let r = api.post("/codes", &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    (
        r.json["id"].as_str().expect("id").to_owned(),
        r.json["codeUrl"].as_str().expect("codeUrl").to_owned(),
    )
}

async fn form(api: &api::Api, url: &str, body: &str) -> reqwest::Response {
    api.client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .expect("form post")
}

#[tokio::test]
async fn pay_page_shows_amount_and_wallets() {
    let (_sim, api) = start().await;
    let (_, url) = code_with(
        &api,
        json!({"amount": 1280, "orderNo": "P<1>", "description": "<b>tea</b>", "items": [{"name": "Tea & cake", "price": 1280, "count": 1}]}),
    )
    .await;
    // No auth on the pay page.
    let resp = api.client.get(&url).send().await.expect("page");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .expect("ct")
        .starts_with("text/html"));
    let html = resp.text().await.expect("html");
    assert!(html.contains("name=\"viewport\""));
    assert!(html.contains("¥1,280"));
    for wallet in [
        "PayPay",
        "LINE Pay",
        "d払い",
        "au PAY",
        "楽天ペイ",
        "Alipay+",
        "WeChat Pay",
        "クレジットカード",
    ] {
        assert!(html.contains(wallet), "{wallet} missing");
    }
    for value in [
        "paypay",
        "linepay",
        "docomopay",
        "aupay",
        "rakutenpay",
        "alipayplus",
        "wechatpay",
        "creditcard",
    ] {
        assert!(
            html.contains(&format!("value=\"{value}\"")),
            "{value} missing"
        );
    }
    assert!(html.contains("決済失敗をシミュレート"));
    assert!(
        html.contains("P&lt;1&gt;")
            && html.contains("&lt;b&gt;tea")
            && html.contains("Tea &amp; cake")
    );
    assert!(!html.contains("<b>tea"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external resources"
    );
}

#[tokio::test]
async fn form_pay_redirects_to_front_url() {
    let (_sim, api) = start().await;
    let (id, url) = code_with(
        &api,
        json!({"amount": 500, "orderNo": "F1", "frontUrl": "https://shop.example/back?o=F1"}),
    )
    .await;
    let resp = form(&api, &url, "paymentMethod=linepay&action=pay").await;
    assert_eq!(resp.status(), 303);
    let loc = resp.headers()["location"].to_str().expect("loc").to_owned();
    let code = api.get(&format!("/codes/{id}")).await.json;
    let charge_id = code["charge"]["id"].as_str().expect("charge");
    assert_eq!(
        loc,
        format!("https://shop.example/back?o=F1&status=captured&codeId={id}&chargeId={charge_id}")
    );
    assert_eq!(code["status"], "captured");
    assert_eq!(code["charge"]["paymentMethod"], "linepay");
    // The page now says it is paid and offers no buttons.
    let html = api
        .client
        .get(&url)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("お支払い済み"));
    assert!(!html.contains("value=\"paypay\""));
}

#[tokio::test]
async fn form_pay_without_front_url_shows_completion() {
    let (_sim, api) = start().await;
    let (_, url) = code_with(&api, json!({"amount": 990, "orderNo": "F2"})).await;
    let resp = form(&api, &url, "paymentMethod=creditcard&action=pay").await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.expect("html");
    assert!(html.contains("お支払いが完了しました") && html.contains("Payment complete"));
    assert!(html.contains("¥990"));
}

#[tokio::test]
async fn form_fail_keeps_code_pending_and_sends_nothing() {
    let hook = Receiver::start(200).await;
    let mut cfg = config();
    cfg.webhooks.push(WebhookEndpoint {
        url: hook.url.clone(),
        secret: "s".into(),
    });
    let (sim, api) = start_with(cfg).await;
    let (id, url) = code_with(&api, json!({"amount": 100, "orderNo": "F3"})).await;
    let resp = form(&api, &url, "paymentMethod=paypay&action=fail").await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.expect("html");
    assert!(html.contains("決済に失敗しました"));
    assert!(
        html.contains("value=\"paypay\""),
        "can choose another method"
    );
    assert_eq!(
        api.get(&format!("/codes/{id}")).await.json["status"],
        "pending"
    );
    let r = api
        .post(&format!("/_sim/codes/{id}/fail"), &json!({}))
        .await;
    assert_eq!(r.json, json!({"status": "pending"}));
    // A later success still works and is the only webhook.
    sim.control().pay(&id, "paypay").expect("pay");
    wait_for("charge webhook", || !hook.received().is_empty()).await;
    assert_eq!(hook.bodies().len(), 1);
    assert_eq!(hook.bodies()[0]["type"], "charge.succeeded");
}

#[tokio::test]
async fn expired_and_unknown_pages() {
    let (_sim, api) = start().await;
    let (id, url) = code_with(
        &api,
        json!({"amount": 100, "orderNo": "X1", "expiryDuration": 3}),
    )
    .await;
    api.advance(180_000).await;
    let html = api
        .client
        .get(&url)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("有効期限が切れています"));
    assert!(!html.contains("value=\"paypay\""));
    let resp = form(&api, &url, "paymentMethod=paypay&action=pay").await;
    let html = resp.text().await.expect("html");
    assert!(html.contains("期限切れ"));
    assert_eq!(
        api.get(&format!("/codes/{id}")).await.json["status"],
        "closed"
    );
    let resp = api
        .client
        .get(api.url("/pay/code/cod_nope"))
        .send()
        .await
        .expect("page");
    assert_eq!(resp.status(), 404);
}

fn verify(secret: &str, header: &str, body: &str) -> i64 {
    let (t, sign) = header
        .strip_prefix("t=")
        .and_then(|h| h.split_once(",sign="))
        .expect("signature format");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{body}").as_bytes());
    assert_eq!(hex::encode(mac.finalize().into_bytes()), sign, "signature");
    t.parse().expect("t")
}

#[tokio::test]
async fn charge_webhook_is_signed_per_endpoint() {
    let a = Receiver::start(200).await;
    let b = Receiver::start(204).await;
    let mut cfg = config();
    cfg.webhooks.push(WebhookEndpoint {
        url: a.url.clone(),
        secret: "secret-a".into(),
    });
    let (sim, api) = start_with(cfg).await;
    let r = api
        .post(
            "/_sim/webhooks/endpoints",
            &json!({"url": b.url.as_str(), "secret": "secret-b"}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert!(r.json["id"].as_str().expect("id").starts_with("we_"));

    let r = api
        .post("/codes", &json!({"amount": 1800, "orderNo": "W1", "metadata": {"cartKey": "c1"}, "locationId": "loc_9"}))
        .await;
    let id = r.json["id"].as_str().expect("id").to_owned();
    let charge = api
        .post(
            &format!("/_sim/codes/{id}/pay"),
            &json!({"paymentMethod": "paypay"}),
        )
        .await
        .json;
    wait_for("both endpoints", || {
        a.received().len() == 1 && b.received().len() == 1
    })
    .await;

    for (rx, secret) in [(&a, "secret-a"), (&b, "secret-b")] {
        let got = &rx.received()[0];
        assert_eq!(got.headers["content-type"], "application/json");
        let sig = got.headers["elepay-signature"].to_str().expect("sig");
        let t = verify(secret, sig, &got.body);
        assert_eq!(t, T0 / 1000, "t is sim-clock seconds");
        let ev: Value = serde_json::from_str(&got.body).expect("json");
        assert_eq!(ev["object"], "event");
        assert_eq!(ev["type"], "charge.succeeded");
        assert_eq!(ev["liveMode"], false);
        assert_eq!(ev["createTime"], T0);
        assert!(ev["id"].as_str().expect("id").starts_with("evt_"));
        assert_eq!(ev["data"]["object"], charge);
        assert_eq!(ev["data"]["object"]["metadata"]["cartKey"], "c1");
        assert_eq!(ev["data"]["object"]["location"]["id"], "loc_9");
    }
    assert_eq!(a.bodies()[0]["id"], b.bodies()[0]["id"]);
    let d = sim.control().deliveries();
    assert_eq!(d.len(), 2);
    assert!(d.iter().all(|r| r.is_success() && r.attempt == 1));
}

#[tokio::test]
async fn failing_endpoint_gets_seven_attempts_on_the_sim_schedule() {
    let hook = Receiver::start(500).await;
    let mut cfg = config();
    cfg.webhooks.push(WebhookEndpoint {
        url: hook.url.clone(),
        secret: "s".into(),
    });
    let (sim, api) = start_with(cfg).await;
    let ctl = sim.control();
    let charge = api.paid_charge("RETRY", 100, "paypay").await;
    wait_for("attempt 1", || ctl.deliveries().len() == 1).await;
    // Gaps: 1 min ×3, then 10 min ×3.
    for (n, gap) in [60_000, 60_000, 60_000, 600_000, 600_000, 600_000]
        .into_iter()
        .enumerate()
    {
        // Just before the gap elapses nothing is sent.
        ctl.advance_clock(gap - 1).expect("advance");
        api::one_tick().await;
        assert_eq!(
            ctl.deliveries().len(),
            n + 1,
            "early retry before attempt {}",
            n + 2
        );
        ctl.advance_clock(1).expect("advance");
        wait_for("next attempt", || ctl.deliveries().len() == n + 2).await;
    }
    ctl.advance_clock(3_600_000).expect("advance");
    let d = ctl.deliveries();
    let times: Vec<i64> = d.iter().map(|r| r.sim_time_ms - T0).collect();
    assert_eq!(
        times,
        [0, 60_000, 120_000, 180_000, 780_000, 1_380_000, 1_980_000]
    );
    assert_eq!(
        d.iter().map(|r| r.attempt).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6, 7]
    );
    assert!(d.iter().all(|r| r.outcome == DeliveryOutcome::Status(500)));
    // Same event id on every attempt, signature timestamps follow the sim clock.
    let got = hook.received();
    assert_eq!(got.len(), 7);
    let ids: Vec<Value> = hook.bodies().iter().map(|b| b["id"].clone()).collect();
    assert!(ids.iter().all(|i| *i == ids[0]));
    assert_eq!(hook.bodies()[6]["data"]["object"]["id"], charge["id"]);
    let t_last = verify(
        "s",
        got[6].headers["elepay-signature"].to_str().expect("sig"),
        &got[6].body,
    );
    assert_eq!(t_last, (T0 + 1_980_000) / 1000);
    // The admin listing shows the same records.
    let r = api.get("/_sim/webhooks/deliveries").await.json;
    assert_eq!(r["deliveries"].as_array().expect("list").len(), 7);
    assert_eq!(r["deliveries"][0]["outcome"], json!({"status": 500}));
}

#[tokio::test]
async fn recovery_stops_retries() {
    let hook = Receiver::start(503).await;
    let mut cfg = config();
    cfg.webhooks.push(WebhookEndpoint {
        url: hook.url.clone(),
        secret: "s".into(),
    });
    let (sim, api) = start_with(cfg).await;
    let ctl = sim.control();
    api.paid_charge("REC", 100, "paypay").await;
    wait_for("attempt 1", || ctl.deliveries().len() == 1).await;
    hook.status.store(200, Ordering::SeqCst);
    ctl.advance_clock(60_000).expect("advance");
    wait_for("attempt 2", || ctl.deliveries().len() == 2).await;
    assert!(ctl.deliveries()[1].is_success());
    ctl.advance_clock(3_600_000).expect("advance");
    api::one_tick().await;
    assert_eq!(ctl.deliveries().len(), 2);
}

#[tokio::test]
async fn unreachable_endpoint_records_errors() {
    // Bind then drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let (sim, api) = start().await;
    let ctl = sim.control();
    ctl.add_webhook_endpoint(
        url::Url::parse(&format!("http://127.0.0.1:{port}/x")).expect("url"),
        "s",
    );
    api.paid_charge("UNR", 100, "paypay").await;
    wait_for("attempt", || ctl.deliveries().len() == 1).await;
    assert!(matches!(
        ctl.deliveries()[0].outcome,
        DeliveryOutcome::Error(_)
    ));
}

#[tokio::test]
async fn duplicates_and_reordered_release() {
    let hook = Receiver::start(200).await;
    let (sim, api) = start().await;
    let r = api
        .post(
            "/_sim/webhooks/endpoints",
            &json!({"url": hook.url.as_str(), "secret": "s"}),
        )
        .await;
    let ep = r.json["id"].as_str().expect("id").to_owned();

    // Duplicates: the same event 1 + 2 times.
    api.post("/_sim/webhooks/behaviour", &json!({"duplicates": 2}))
        .await;
    api.paid_charge("DUP", 100, "paypay").await;
    wait_for("3 copies", || hook.received().len() == 3).await;
    let ids: Vec<Value> = hook.bodies().iter().map(|b| b["id"].clone()).collect();
    assert!(ids.iter().all(|i| *i == ids[0]));
    let copies: Vec<u32> = sim.control().deliveries().iter().map(|d| d.copy).collect();
    assert_eq!(copies, [0, 1, 2]);

    // Hold, then release in reverse order.
    sim.control().set_webhook_behaviour(WebhookBehaviour {
        duplicates: 0,
        hold: true,
    });
    let first = api.paid_charge("H1", 100, "paypay").await;
    let second = api.paid_charge("H2", 200, "paypay").await;
    api::one_tick().await;
    assert_eq!(hook.received().len(), 3, "held events are not sent");
    let r = api
        .post("/_sim/webhooks/release", &json!({"order": "reverse"}))
        .await;
    assert_eq!(r.json["released"], 2);
    wait_for("released", || hook.received().len() == 5).await;
    let order: Vec<Value> = hook.bodies()[3..]
        .iter()
        .map(|b| b["data"]["object"]["id"].clone())
        .collect();
    assert_eq!(order, vec![second["id"].clone(), first["id"].clone()]);

    // Removing the endpoint stops deliveries to it.
    assert_eq!(
        api.delete(&format!("/_sim/webhooks/endpoints/{ep}"))
            .await
            .status,
        200
    );
    assert_eq!(
        api.delete(&format!("/_sim/webhooks/endpoints/{ep}"))
            .await
            .status,
        404
    );
    api.post("/_sim/webhooks/behaviour", &json!({"hold": false}))
        .await;
    api.paid_charge("GONE", 100, "paypay").await;
    api::one_tick().await;
    assert_eq!(hook.received().len(), 5);
}

#[tokio::test]
async fn refund_succeeded_webhook_carries_refund_dto() {
    let hook = Receiver::start(200).await;
    let mut cfg = config();
    cfg.webhooks.push(WebhookEndpoint {
        url: hook.url.clone(),
        secret: "s".into(),
    });
    cfg.refund_delay_ms = 5000;
    let (_sim, api) = start_with(cfg).await;
    let charge = api.paid_charge("RW", 1000, "paypay").await;
    let cid = charge["id"].as_str().expect("id");
    let refund = api
        .post(&format!("/charges/{cid}/refunds"), &json!({"amount": 400}))
        .await
        .json;
    wait_for("charge event", || hook.received().len() == 1).await;
    api.advance(4999).await;
    api::one_tick().await;
    assert_eq!(hook.received().len(), 1, "not before the refund completes");
    api.advance(1).await;
    wait_for("refund event", || hook.received().len() == 2).await;
    let ev = &hook.bodies()[1];
    assert_eq!(ev["type"], "refund.succeeded");
    assert_eq!(ev["data"]["object"]["id"], refund["id"]);
    assert_eq!(ev["data"]["object"]["object"], "refund");
    assert_eq!(ev["data"]["object"]["status"], "refunded");
    assert_eq!(ev["data"]["object"]["refundedTime"], T0 + 5000);
}
