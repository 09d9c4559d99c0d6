//! The webhook receiver fed by the simulator's real signed deliveries, plus
//! hand-made hostile ones. Polling is slowed to 30 s so only the webhook
//! path can resolve a payment within a test.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use easyqr_engine::receiver::{serve, ReceiverConfig, RunningReceiver};
use easyqr_ledger::AttemptState;
use easyqr_test_harness::world::*;
use elepay::webhook::{signature_header, SigningSecret};

const SECRET: &str = "whsec_store_endpoint";

async fn setup() -> (World, RunningReceiver, String) {
    let mut cfg = config();
    cfg.poll_interval = Duration::from_secs(30);
    let w = world_with(cfg).await;
    let rx = serve(
        w.engine.clone(),
        ReceiverConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            vec![
                SigningSecret::new("whsec_old_one"),
                SigningSecret::new(SECRET),
            ],
        ),
    )
    .await
    .unwrap();
    let url = format!("http://{}/elepay/webhook", rx.local_addr);
    (w, rx, url)
}

async fn post(url: &str, body: &[u8], sig: &str) -> u16 {
    reqwest::Client::new()
        .post(url)
        .header("elepay-signature", sig)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn a_webhook_delivered_seven_times_is_applied_once() {
    let (w, _rx, url) = setup().await;
    w.control.add_webhook_endpoint(url.parse().unwrap(), SECRET);
    w.control
        .set_webhook_behaviour(elepay_sim::WebhookBehaviour {
            duplicates: 6,
            hold: false,
        });
    let co = w.engine.charge(amount(1800), None, None).await.unwrap();
    w.control
        .pay(co.attempt.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    w.wait_state(co.attempt.id, AttemptState::Captured).await;
    // Let all seven deliveries land.
    for _ in 0..200 {
        if w.control.deliveries().len() >= 7 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let deliveries = w.control.deliveries();
    assert_eq!(deliveries.len(), 7);
    assert!(
        deliveries.iter().all(|d| d.is_success()),
        "every delivery acknowledged"
    );
    assert_eq!(w.journal_moves_to(co.attempt.id, "captured"), 1);
    let source: String = w.ledger.with_connection(|c| {
        c.query_row(
            "SELECT json_extract(payload, '$.source') FROM journal WHERE attempt_id = ?1 AND json_extract(payload, '$.to') = 'captured'",
            [co.attempt.id],
            |r| r.get(0),
        )
        .unwrap()
    });
    assert_eq!(source, "webhook");
}

#[tokio::test]
async fn reordered_deliveries_still_resolve_every_payment() {
    let (w, _rx, url) = setup().await;
    w.control.add_webhook_endpoint(url.parse().unwrap(), SECRET);
    w.control
        .set_webhook_behaviour(elepay_sim::WebhookBehaviour {
            duplicates: 1,
            hold: true,
        });
    let a = w.engine.charge(amount(100), None, None).await.unwrap();
    let b = w.engine.charge(amount(200), None, None).await.unwrap();
    w.control
        .pay(a.attempt.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    w.control
        .pay(b.attempt.code_id.as_deref().unwrap(), "linepay")
        .unwrap();
    assert!(w.control.release_held_webhooks(true) >= 2);
    w.wait_state(a.attempt.id, AttemptState::Captured).await;
    w.wait_state(b.attempt.id, AttemptState::Captured).await;
}

#[tokio::test]
async fn forged_and_stale_webhooks_are_refused() {
    let (w, _rx, url) = setup().await;
    let co = w.engine.charge(amount(600), None, None).await.unwrap();
    let body = json_body(event_json(
        "evt_forged1",
        &co.attempt.order_no,
        600,
        "loc_store1",
    ));
    let wrong = signature_header(&SigningSecret::new("whsec_attacker"), now_secs(), &body);
    assert_eq!(post(&url, &body, &wrong).await, 401);
    let stale = signature_header(&SigningSecret::new(SECRET), now_secs() - 1_000, &body);
    assert_eq!(post(&url, &body, &stale).await, 401);
    assert_eq!(post(&url, &body, "").await, 401);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        w.ledger.attempt(co.attempt.id).unwrap().state,
        AttemptState::Pending
    );
    assert!(!w.ledger.webhook_seen("evt_forged1").unwrap());
}

#[tokio::test]
async fn a_correctly_signed_but_false_claim_is_checked_against_elepay() {
    // A leaked secret or a buggy sender: the body says paid, elepay says not.
    let (w, _rx, url) = setup().await;
    let co = w.engine.charge(amount(9999), None, None).await.unwrap();
    let body = json_body(event_json(
        "evt_claim",
        &co.attempt.order_no,
        9999,
        "loc_store1",
    ));
    let sig = signature_header(&SigningSecret::new(SECRET), now_secs(), &body);
    assert_eq!(post(&url, &body, &sig).await, 200);
    for _ in 0..100 {
        if w.ledger.webhook_seen("evt_claim").unwrap() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(w.ledger.webhook_seen("evt_claim").unwrap());
    assert_eq!(
        w.ledger.attempt(co.attempt.id).unwrap().state,
        AttemptState::Pending
    );
}

#[tokio::test]
async fn another_stores_event_is_acknowledged_and_ignored() {
    let (w, _rx, url) = setup().await;
    let co = w.engine.charge(amount(300), None, None).await.unwrap();
    // Same brand, other store: the customer really paid there, but it is not ours.
    w.control
        .pay(co.attempt.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    let body = json_body(event_json(
        "evt_other_store",
        &co.attempt.order_no,
        300,
        "loc_other_store",
    ));
    let sig = signature_header(&SigningSecret::new("whsec_old_one"), now_secs(), &body);
    assert_eq!(
        post(&url, &body, &sig).await,
        200,
        "acknowledged so elepay stops retrying"
    );
    for _ in 0..100 {
        if w.ledger.webhook_seen("evt_other_store").unwrap() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        w.ledger.attempt(co.attempt.id).unwrap().state,
        AttemptState::Pending,
        "not applied (polling, not this event, will find the payment)"
    );
}

#[tokio::test]
async fn an_event_that_could_not_be_checked_is_not_marked_seen() {
    let (w, _rx, _url) = setup().await;
    let co = w.engine.charge(amount(720), None, None).await.unwrap();
    w.control
        .pay(co.attempt.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    let event = elepay::webhook::Event::parse(&json_body(event_json(
        "evt_retry_me",
        &co.attempt.order_no,
        720,
        "loc_store1",
    )))
    .unwrap();
    // elepay is unreachable for the re-fetch (more failures than retries).
    w.fault("retrieveCode", elepay_sim::FaultKind::Http5xx, 3);
    assert_eq!(
        w.engine.apply_webhook(&event).await.unwrap(),
        easyqr_engine::WebhookOutcome::NotYetApplied
    );
    assert!(!w.ledger.webhook_seen("evt_retry_me").unwrap());
    // The redelivery is applied.
    assert_eq!(
        w.engine.apply_webhook(&event).await.unwrap(),
        easyqr_engine::WebhookOutcome::Applied(AttemptState::Captured)
    );
    assert!(w.ledger.webhook_seen("evt_retry_me").unwrap());
    assert_eq!(
        w.engine.apply_webhook(&event).await.unwrap(),
        easyqr_engine::WebhookOutcome::Duplicate
    );
}

#[tokio::test]
async fn a_webhook_finds_the_paid_code_among_retries_of_one_order_no() {
    let (w, _rx, _url) = setup().await;
    let first = w.engine.charge(amount(880), None, None).await.unwrap();
    w.engine.cancel(first.attempt.id).await.unwrap();
    let second = w.engine.retry(first.attempt.sale_id).await.unwrap();
    assert_eq!(second.attempt.order_no, first.attempt.order_no);
    w.control
        .pay(second.attempt.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    let event = elepay::webhook::Event::parse(&json_body(event_json(
        "evt_second",
        &first.attempt.order_no,
        880,
        "loc_store1",
    )))
    .unwrap();
    assert_eq!(
        w.engine.apply_webhook(&event).await.unwrap(),
        easyqr_engine::WebhookOutcome::Applied(AttemptState::Captured)
    );
    assert_eq!(
        w.ledger.attempt(second.attempt.id).unwrap().state,
        AttemptState::Captured
    );
    assert_eq!(
        w.ledger.attempt(first.attempt.id).unwrap().state,
        AttemptState::Closed
    );
}

/// The ledger believes the first code is closed, a retry is on screen, and
/// then elepay reports the first code paid after all (a late capture).
async fn late_capture_with_a_retry_on_screen(
    w: &World,
) -> (easyqr_ledger::Attempt, easyqr_ledger::Attempt) {
    let first = w.engine.charge(amount(1500), None, None).await.unwrap();
    w.ledger
        .apply(
            first.attempt.id,
            &easyqr_ledger::Change::Closed,
            w.engine.now_ms(),
        )
        .unwrap();
    // elepay still holds the first code, so its orderNo is refused once and
    // retired; the next retry gets a fresh orderNo.
    assert!(w.engine.retry(first.attempt.sale_id).await.is_err());
    let retry = w.engine.retry(first.attempt.sale_id).await.unwrap();
    assert_ne!(retry.attempt.order_no, first.attempt.order_no);
    w.control
        .pay(first.attempt.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    (first.attempt, retry.attempt)
}

async fn deliver(w: &World, id: &str, order_no: &str, amount: i64) -> WebhookOutcome {
    let event =
        elepay::webhook::Event::parse(&json_body(event_json(id, order_no, amount, "loc_store1")))
            .unwrap();
    w.engine.apply_webhook(&event).await.unwrap()
}

use easyqr_engine::{CustomerEvent, EngineEvent, WebhookOutcome};

#[tokio::test]
async fn a_late_capture_closes_the_retry_on_screen_and_shows_paid() {
    let (w, _rx, _url) = setup().await;
    let (first, retry) = late_capture_with_a_retry_on_screen(&w).await;
    let mut events = w.engine.subscribe();
    assert_eq!(
        deliver(&w, "evt_late", &first.order_no, 1500).await,
        WebhookOutcome::Applied(AttemptState::Captured)
    );
    // The open retry is closed at elepay, so nobody can pay the sale twice.
    w.wait_state(retry.id, AttemptState::Closed).await;
    let retry_code = retry.code_id.clone().unwrap();
    assert_eq!(w.sim_status(&retry_code), "closed");
    // The display showing the retry's QR is told the sale is paid.
    let mut paid_shown = false;
    while let Ok(ev) = events.try_recv() {
        if let EngineEvent::Customer(CustomerEvent::Paid { code_id, .. }) = ev {
            paid_shown |= code_id == retry_code;
        }
    }
    assert!(
        paid_shown,
        "the customer display was not told the sale is paid"
    );
    assert_eq!(
        w.ledger.attempt(first.id).unwrap().state,
        AttemptState::Captured
    );
}

#[tokio::test]
async fn a_sale_paid_twice_is_reported_to_the_cashier() {
    let (w, _rx, _url) = setup().await;
    let (first, retry) = late_capture_with_a_retry_on_screen(&w).await;
    w.control
        .pay(retry.code_id.as_deref().unwrap(), "linepay")
        .unwrap();
    assert_eq!(
        deliver(&w, "evt_retry", &retry.order_no, 1500).await,
        WebhookOutcome::Applied(AttemptState::Captured)
    );
    let mut events = w.engine.subscribe();
    assert_eq!(
        deliver(&w, "evt_first", &first.order_no, 1500).await,
        WebhookOutcome::Applied(AttemptState::Captured)
    );
    let mut warned = false;
    while let Ok(ev) = events.try_recv() {
        if let EngineEvent::Cashier(c) = ev {
            warned |= c
                .note
                .as_deref()
                .is_some_and(|n| n.contains("paid twice") && n.contains("Refund"));
        }
    }
    assert!(warned, "the cashier was not told to refund one payment");
}

#[tokio::test]
async fn after_a_restart_the_retry_of_a_sale_paid_meanwhile_is_closed() {
    let (w, _rx, _url) = setup().await;
    let (first, retry) = late_capture_with_a_retry_on_screen(&w).await;
    // The late payment was recorded, then the app died before it could
    // close the retry's code.
    w.ledger
        .apply(
            first.id,
            &easyqr_ledger::Change::Captured {
                charge_id: None,
                payment_method: Some("paypay".into()),
                paid_time: None,
                source: "webhook".into(),
            },
            w.engine.now_ms(),
        )
        .unwrap();
    let restarted = w.restarted();
    let report = restarted.resume().await.unwrap();
    assert_eq!(report.closed, vec![retry.order_no.clone()]);
    assert_eq!(
        w.ledger.attempt(retry.id).unwrap().state,
        AttemptState::Closed
    );
    let retry_code = retry.code_id.clone().unwrap();
    assert_eq!(
        w.sim_status(&retry_code),
        "closed",
        "nobody can pay the sale twice"
    );
}

#[tokio::test]
async fn a_retry_created_while_its_sale_got_paid_never_shows_its_qr() {
    let (w, _rx, _url) = setup().await;
    let first = w
        .engine
        .charge(amount(1500), None, None)
        .await
        .unwrap()
        .attempt;
    let sale = first.sale_id;
    w.ledger
        .apply(first.id, &easyqr_ledger::Change::Closed, w.engine.now_ms())
        .unwrap();
    // The first code is still payable at elepay: its orderNo is retired.
    assert!(w.engine.retry(sale).await.is_err());
    w.control
        .pay(first.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    // The next create answers slowly; the late payment lands meanwhile.
    let mut slow = elepay_sim::FaultSpec::new("createCode", elepay_sim::FaultKind::Latency);
    slow.latency_ms = 400;
    w.control.add_fault(slow).unwrap();
    let mut events = w.engine.subscribe();
    let engine = w.engine.clone();
    let retry = tokio::spawn(async move { engine.retry(sale).await });
    for _ in 0..300 {
        let creating = w.ledger.attempts_of_sale(sale).unwrap();
        if creating.iter().any(|a| a.state == AttemptState::Creating) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(
        deliver(&w, "evt_late", &first.order_no, 1500).await,
        WebhookOutcome::Applied(AttemptState::Captured)
    );
    let err = retry.await.unwrap().unwrap_err();
    assert!(
        matches!(err, easyqr_engine::EngineError::AlreadyPaid { .. }),
        "{err:?}"
    );
    let mut shown_qr = false;
    let mut sale_paid = false;
    while let Ok(ev) = events.try_recv() {
        match ev {
            EngineEvent::Customer(CustomerEvent::Payment { .. }) => shown_qr = true,
            EngineEvent::Customer(CustomerEvent::SalePaid { amount }) => sale_paid = amount == 1500,
            _ => {}
        }
    }
    assert!(!shown_qr, "the customer saw a QR for a sale already paid");
    assert!(
        sale_paid,
        "the customer display was not told the sale is paid"
    );
}

/// A code closed in the ledger (nothing polls it) that the customer paid
/// anyway: only the webhook can tell.
async fn closed_code_paid_late(w: &World) -> easyqr_ledger::Attempt {
    let a = w
        .engine
        .charge(amount(1700), None, None)
        .await
        .unwrap()
        .attempt;
    w.ledger
        .apply(a.id, &easyqr_ledger::Change::Closed, w.engine.now_ms())
        .unwrap();
    a
}

#[tokio::test]
async fn a_webhook_whose_refetch_fails_is_applied_from_the_inbox() {
    let (w, _rx, url) = setup().await;
    w.control.add_webhook_endpoint(url.parse().unwrap(), SECRET);
    let a = closed_code_paid_late(&w).await;
    // The first read-back fails whole (the client's retries included).
    w.fault("retrieveCode", elepay_sim::FaultKind::Http5xx, 3);
    w.control
        .pay(a.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    // Acknowledged once stored; elepay sends it only once.
    w.wait_state(a.id, AttemptState::Captured).await;
    let deliveries = w.control.deliveries();
    assert_eq!(deliveries.len(), 1);
    assert!(deliveries[0].is_success());
    let (tries, applied): (i64, Option<i64>) = w.ledger.with_connection(|c| {
        c.query_row("SELECT tries, applied_at FROM webhook_inbox", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
    });
    assert!(
        tries >= 2 && applied.is_some(),
        "tries {tries}, applied {applied:?}"
    );
}

#[tokio::test]
async fn a_webhook_stored_before_a_crash_is_applied_after_the_restart() {
    let (w, _rx, _url) = setup().await;
    let a = closed_code_paid_late(&w).await;
    w.control
        .pay(a.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    let body = event_json("evt_stored", &a.order_no, 1700, "loc_store1").to_string();
    assert!(w.ledger.inbox_store("evt_stored", &body, 0).unwrap());
    let restarted = w.restarted();
    let report = restarted.resume().await.unwrap();
    assert_eq!(report.webhooks, 1);
    w.wait_state(a.id, AttemptState::Captured).await;
    assert!(w.ledger.inbox_pending().unwrap().is_empty());
}
