//! Webhooks sent by the simulator, received over loopback and verified with
//! the client's verifier: signatures, rotated secrets, stale and forged
//! deliveries, retries and duplicates.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::{extract::State, http::HeaderMap, http::StatusCode, routing::post, Router};
use easyqr_test_harness::client::*;
use elepay::webhook::{Event, SigningSecret, Verifier, WebhookError, SIGNATURE_HEADER};
use serde_json::json;

/// One delivery: the `elepay-signature` header and the raw body.
type Delivery = (String, Vec<u8>);

#[derive(Clone, Default)]
struct Inbox {
    got: Arc<Mutex<Vec<Delivery>>>,
    /// How many deliveries to answer with 500 before answering 200.
    fail_first: Arc<Mutex<usize>>,
}

async fn receive(
    State(inbox): State<Inbox>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let sig = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    inbox.got.lock().unwrap().push((sig, body.to_vec()));
    let mut fail = inbox.fail_first.lock().unwrap();
    if *fail > 0 {
        *fail -= 1;
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

async fn receiver() -> (String, Inbox) {
    let inbox = Inbox::default();
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, inbox)
}

impl Inbox {
    async fn wait_for(&self, n: usize) -> Vec<Delivery> {
        for _ in 0..500 {
            {
                let got = self.got.lock().unwrap();
                if got.len() >= n {
                    return got.clone();
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "expected {n} deliveries, got {}",
            self.got.lock().unwrap().len()
        );
    }
}

fn header_t(sig: &str) -> i64 {
    sig.split(',')
        .find_map(|p| p.strip_prefix("t="))
        .unwrap()
        .parse()
        .unwrap()
}

async fn sim_now_secs(sim: &Sim) -> i64 {
    sim.admin_get("/_sim/clock").await["now"].as_i64().unwrap() / 1000
}

async fn add_endpoint(sim: &Sim, url: &str, secret: &str) {
    let (s, v) = sim
        .admin(
            "/_sim/webhooks/endpoints",
            json!({ "url": url, "secret": secret }),
        )
        .await;
    assert!((200..300).contains(&s), "{v}");
}

#[tokio::test]
async fn payment_webhook_is_signed_and_verifiable_with_rotated_secrets() {
    let sim = sim().await;
    let (url_old, inbox_old) = receiver().await;
    let (url_new, inbox_new) = receiver().await;
    add_endpoint(&sim, &url_old, "whsec_old_endpoint").await;
    add_endpoint(&sim, &url_new, "whsec_new_endpoint").await;

    let mut req = code_req(1800, "T-WH-1");
    req.location_id = Some("loc_shibuya".into());
    let code = sim.client().create_code(&req).await.unwrap();
    sim.pay(&code.id, "paypay").await;

    let (sig_old, body_old) = inbox_old.wait_for(1).await.remove(0);
    let (sig_new, body_new) = inbox_new.wait_for(1).await.remove(0);
    let now = sim_now_secs(&sim).await;

    // One verifier configured with both secrets accepts both endpoints'
    // deliveries: switching the endpoint loses nothing.
    let both = Verifier::new(vec![
        SigningSecret::new("whsec_old_endpoint"),
        SigningSecret::new("whsec_new_endpoint"),
    ]);
    assert_eq!(both.verify(Some(&sig_old), &body_old, now), Ok(()));
    assert_eq!(both.verify(Some(&sig_new), &body_new, now), Ok(()));
    // A verifier that only knows the new secret refuses the old endpoint's.
    let only_new = Verifier::new(vec![SigningSecret::new("whsec_new_endpoint")]);
    assert_eq!(
        only_new.verify(Some(&sig_old), &body_old, now),
        Err(WebhookError::NoMatch)
    );

    // Forged body, stale timestamp.
    let mut forged = body_new.clone();
    let pos = forged.windows(4).position(|w| w == b"1800").unwrap();
    forged[pos] = b'9';
    assert_eq!(
        both.verify(Some(&sig_new), &forged, now),
        Err(WebhookError::NoMatch)
    );
    let t = header_t(&sig_new);
    assert!(matches!(
        both.verify(Some(&sig_new), &body_new, t + 301),
        Err(WebhookError::Stale { .. })
    ));

    // The envelope carries the charge and the store.
    let ev = Event::parse(&body_new).unwrap();
    assert!(ev.id.starts_with("evt_"));
    assert_eq!(ev.object, "event");
    assert!(ev.event_type.is_payment_success());
    assert!(!ev.live_mode);
    let charge = ev.charge().unwrap();
    assert_eq!(charge.order_no.as_deref(), Some("T-WH-1"));
    assert_eq!(charge.amount, 1800);
    assert_eq!(ev.location_id(), Some("loc_shibuya"));
    assert_eq!(
        Event::parse(&body_old).unwrap().id,
        ev.id,
        "same event to every endpoint"
    );
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_the_same_event_id() {
    let sim = sim().await;
    let (url, inbox) = receiver().await;
    *inbox.fail_first.lock().unwrap() = 2;
    add_endpoint(&sim, &url, "whsec_retry").await;
    let code = sim
        .client()
        .create_code(&code_req(500, "T-WH-RETRY"))
        .await
        .unwrap();
    sim.pay(&code.id, "aupay").await;
    inbox.wait_for(1).await;
    sim.advance(60_000).await;
    inbox.wait_for(2).await;
    sim.advance(60_000).await;
    let got = inbox.wait_for(3).await;
    // Succeeded on the third attempt: no fourth arrives even a day later.
    sim.advance(24 * 3_600_000).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got_after = inbox.got.lock().unwrap().clone();
    assert_eq!(got_after.len(), 3);
    let ids: Vec<String> = got
        .iter()
        .map(|(_, b)| Event::parse(b).unwrap().id)
        .collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
}

#[tokio::test]
async fn duplicates_can_be_injected() {
    let sim = sim().await;
    let (url, inbox) = receiver().await;
    add_endpoint(&sim, &url, "whsec_dup").await;
    let (s, _) = sim
        .admin("/_sim/webhooks/behaviour", json!({ "duplicates": 2 }))
        .await;
    assert_eq!(s, 200);
    let code = sim
        .client()
        .create_code(&code_req(600, "T-WH-DUP"))
        .await
        .unwrap();
    sim.pay(&code.id, "paypay").await;
    let got = inbox.wait_for(3).await;
    let verifier = Verifier::new(vec![SigningSecret::new("whsec_dup")]).with_tolerance_secs(0);
    for (sig, body) in &got {
        assert_eq!(verifier.verify(Some(sig), body, 0), Ok(()));
    }
    let first = Event::parse(&got[0].1).unwrap().id;
    assert!(got
        .iter()
        .all(|(_, b)| Event::parse(b).unwrap().id == first));
}
