//! elepay's webhook in, the right registers' streams out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_event_delivered_seven_times_reaches_exactly_the_registers_of_its_store_once() {
    let Some(hq) = Hq::start().await else { return };
    hq.store("loc_a", "Shibuya").await;
    hq.store("loc_b", "Umeda").await;
    let a1 = hq.enrol("loc_a", "A1").await;
    let a2 = hq.enrol("loc_a", "A2").await;
    let b1 = hq.enrol("loc_b", "B1").await;
    let mut s_a1 = Stream::open(&hq, &a1, None).await;
    let mut s_b1 = Stream::open(&hq, &b1, None).await;
    // A2 is offline during the deliveries.

    let e1 = code_event("evt_1", "cod_1", "loc_a");
    let e2 = code_event("evt_2", "cod_2", "loc_a");
    let now = now_secs();
    // elepay's up to 7 deliveries, late and interleaved with another event,
    // signed with either of the endpoint's secrets.
    for (body, secret, t) in [
        (&e2, SECRET, now),
        (&e1, SECRET, now - 200),
        (&e1, OLD_SECRET, now),
        (&e2, SECRET, now - 10),
        (&e1, SECRET, now - 5),
        (&e1, SECRET, now - 100),
        (&e1, OLD_SECRET, now - 250),
        (&e1, SECRET, now),
        (&e1, SECRET, now - 1),
    ] {
        assert_eq!(hq.deliver(body, secret, t).await, 200);
    }
    // Forged (wrong secret, or a body changed after signing) and stale.
    let e3 = code_event("evt_3", "cod_3", "loc_a");
    assert_eq!(hq.deliver(&e3, "whsec_not_ours", now).await, 401);
    assert_eq!(hq.deliver(&e3, SECRET, now - 301).await, 401);
    let sig = elepay::webhook::signature_header(
        &elepay::webhook::SigningSecret::new(SECRET),
        now,
        e1.as_bytes(),
    );
    let r = hq
        .http
        .post(format!("{}/elepay/webhook", hq.base))
        .header("elepay-signature", sig)
        .body(e3.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "another body under a valid signature");
    // For no known store: kept, not routed.
    let e4 = code_event("evt_4", "cod_4", "loc_nowhere");
    assert_eq!(hq.deliver(&e4, SECRET, now).await, 200);
    // Sentinels: a stream delivers in commit order, so once a store's
    // sentinel arrives, everything for that store before it has too.
    assert_eq!(
        hq.deliver(&code_event("end_a", "x", "loc_a"), SECRET, now)
            .await,
        200
    );
    assert_eq!(
        hq.deliver(&code_event("end_b", "x", "loc_b"), SECRET, now)
            .await,
        200
    );

    assert_eq!(s_a1.ids_until("end_a").await, ["evt_2", "evt_1"]);
    assert_eq!(s_b1.ids_until("end_b").await, Vec::<String>::new());
    // Stored once each, every delivery counted.
    assert_eq!(
        hq.query_i64("SELECT count(*) FROM inbox WHERE event_id IN ('evt_1', 'evt_2', 'evt_3')")
            .await,
        2
    );
    assert_eq!(
        hq.query_i64("SELECT deliveries::bigint FROM inbox WHERE event_id = 'evt_1'")
            .await,
        7
    );
    let c = hq.db.get().await.unwrap();
    let unknown = easyqr_hq::books::unknown_events(&c, 10).await.unwrap();
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].event_id, "evt_4");
    assert_eq!(unknown[0].location_id.as_deref(), Some("loc_nowhere"));

    // The register that was offline connects: from its cursor (enrolment)
    // it gets everything for its store, once, in order.
    let mut s_a2 = Stream::open(&hq, &a2, None).await;
    assert_eq!(s_a2.ids_until("end_a").await, ["evt_2", "evt_1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_resumes_after_the_acknowledged_cursor_and_a_revoked_register_is_refused() {
    let Some(hq) = Hq::start().await else { return };
    hq.store("loc_a", "Shibuya").await;
    let token = hq.enrol("loc_a", "A1").await;
    let now = now_secs();
    for i in 1..=3 {
        let e = code_event(&format!("evt_{i}"), &format!("cod_{i}"), "loc_a");
        assert_eq!(hq.deliver(&e, SECRET, now).await, 200);
    }
    let mut s = Stream::open(&hq, &token, None).await;
    let (first, e) = s.next().await;
    assert_eq!(e["id"], "evt_1");
    // The register stored evt_1 and says so; it goes offline and comes
    // back (a restart: no Last-Event-ID, the cursor comes from HQ).
    let r = hq
        .http
        .post(format!("{}/api/register/events/ack", hq.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "cursor": first }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    drop(s);
    let (status, me) = hq.me(&token).await;
    assert_eq!(status, 200);
    assert_eq!(me["eventCursor"], first);
    assert_eq!(me["registerId"], "A1");
    assert_eq!(me["store"]["locationId"], "loc_a");
    let mut s = Stream::open(&hq, &token, None).await;
    assert_eq!(s.next().await.1["id"], "evt_2");
    // ...or from the Last-Event-ID it names.
    let mut s = Stream::open(&hq, &token, Some(first + 1)).await;
    assert_eq!(s.next().await.1["id"], "evt_3");

    // A cursor ahead of the inbox is held at its newest event: events to
    // come are not hidden from the next resume.
    let r = hq
        .http
        .post(format!("{}/api/register/events/ack", hq.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "cursor": 1_000_000 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let newest = hq.query_i64("SELECT max(seq) FROM inbox").await;
    assert_eq!(hq.me(&token).await.1["eventCursor"], newest);

    // A token that is not one, and a revoked register.
    assert_eq!(hq.me("hqr_not_a_token").await.0, 401);
    easyqr_hq::enrol::revoke(&hq.db, "A1").await.unwrap();
    let (status, body) = hq.me(&token).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("revoked")));
    // Enrolling again issues a new token; the old one stays dead.
    let fresh = hq.enrol("loc_a", "A1").await;
    assert_eq!(hq.me(&fresh).await.0, 200);
    assert_eq!(hq.me(&token).await.0, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_beat_while_other_stores_are_busy_and_a_revoked_registers_stream_ends() {
    let Some(hq) = Hq::start_beating(Duration::from_millis(300)).await else {
        return;
    };
    hq.store("loc_quiet", "Quiet").await;
    hq.store("loc_busy", "Busy").await;
    let quiet = hq.enrol("loc_quiet", "Q1").await;
    let busy = hq.enrol("loc_busy", "B1").await;
    let mut s_quiet = Stream::open(&hq, &quiet, None).await;
    let mut s_busy = Stream::open(&hq, &busy, None).await;
    // The busy store's webhooks come far more often than the heartbeat.
    let stop = Arc::new(AtomicBool::new(false));
    let feeder = {
        let (stop, http, base) = (stop.clone(), hq.http.clone(), hq.base.clone());
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let e = code_event(&format!("evt_busy_{i}"), "cod_busy", "loc_busy");
                assert_eq!(deliver(&http, &base, &e, SECRET, now_secs()).await, 200);
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
        })
    };
    // Other stores' wake-ups do not put the quiet register's beat off
    // (it is its heartbeat, and what keeps a proxy from cutting it).
    assert!(s_quiet.keep_alive_or_end().await, "the quiet stream ended");
    // A revoked register's stream ends at its next beat, events or not.
    assert!(s_busy.next().await.1["id"].is_string());
    easyqr_hq::enrol::revoke(&hq.db, "B1").await.unwrap();
    while s_busy.keep_alive_or_end().await {}
    stop.store(true, Ordering::Relaxed);
    feeder.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registers_second_stream_ends_its_first() {
    let Some(hq) = Hq::start().await else { return };
    hq.store("loc_a", "Shibuya").await;
    let token = hq.enrol("loc_a", "A1").await;
    // The first connection went half-dead after a network blip; the
    // register reconnects and is not locked out by it.
    let mut first = Stream::open(&hq, &token, None).await;
    let mut second = Stream::open(&hq, &token, None).await;
    assert!(!first.keep_alive_or_end().await, "the older stream ended");
    let e = code_event("evt_1", "cod_1", "loc_a");
    assert_eq!(hq.deliver(&e, SECRET, now_secs()).await, 200);
    assert_eq!(second.next().await.1["id"], "evt_1");
    // And the newer one again ends it.
    let mut third = Stream::open(&hq, &token, None).await;
    assert!(!second.keep_alive_or_end().await, "the second stream ended");
    assert_eq!(third.next().await.1["id"], "evt_1");
}

/// How long `stream` takes to end (keep-alives skipped), bounded.
async fn time_to_end(stream: &mut Stream) -> Duration {
    let t = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(5), async {
        while stream.keep_alive_or_end().await {}
    })
    .await
    .expect("the stream did not end within 5 s");
    t.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_with_the_cli_ends_the_stream_within_a_second_and_refuses_the_token() {
    let Some(hq) = Hq::start().await else { return };
    hq.store("loc_a", "Shibuya").await;
    let token = hq.enrol("loc_a", "A1").await;
    let mut s = Stream::open(&hq, &token, None).await;
    // Another process: the brand's IT person on the HQ host.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_easyqr-hq"))
        .args(["register", "revoke", "--register", "A1"])
        .env("DATABASE_URL", &hq.database_url)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let took = time_to_end(&mut s).await;
    assert!(
        took < Duration::from_secs(1),
        "the stream ended after {took:?}"
    );
    let (status, body) = hq.me(&token).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("revoked")));
    let r = hq
        .http
        .get(format!("{}/api/register/events", hq.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no new stream for a revoked token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_enrolling_ends_the_old_tokens_stream_and_the_register_keeps_its_place() {
    let Some(hq) = Hq::start().await else { return };
    hq.store("loc_a", "Shibuya").await;
    let old = hq.enrol("loc_a", "A1").await;
    let mut s = Stream::open(&hq, &old, None).await;
    let e = code_event("evt_1", "cod_1", "loc_a");
    assert_eq!(hq.deliver(&e, SECRET, now_secs()).await, 200);
    assert_eq!(s.next().await.1["id"], "evt_1");
    // Its token leaked: a new one is issued (not acknowledged: evt_1 is
    // still the register's to store).
    let fresh = hq.enrol("loc_a", "A1").await;
    let took = time_to_end(&mut s).await;
    assert!(
        took < Duration::from_secs(1),
        "the stream ended after {took:?}"
    );
    assert_eq!(hq.me(&old).await.0, 401);
    let mut s = Stream::open_after(&hq, &fresh, 0).await;
    assert_eq!(
        s.next().await.1["id"],
        "evt_1",
        "a live register keeps its place"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_never_gives_events_from_before_the_registers_enrolment() {
    let Some(hq) = Hq::start().await else { return };
    hq.store("loc_a", "Shibuya").await;
    let now = now_secs();
    for id in ["old_1", "old_2"] {
        let e = code_event(id, "cod_old", "loc_a");
        assert_eq!(hq.deliver(&e, SECRET, now).await, 200);
    }
    let token = hq.enrol("loc_a", "A1").await;
    let e = code_event("new_1", "cod_new", "loc_a");
    assert_eq!(hq.deliver(&e, SECRET, now).await, 200);
    // Whatever cursor the register asks for, the store's history from
    // before its enrolment is not its to see.
    let mut s = Stream::open_after(&hq, &token, 0).await;
    assert_eq!(s.next().await.1["id"], "new_1");
    let mut s = Stream::open(&hq, &token, Some(0)).await;
    assert_eq!(s.next().await.1["id"], "new_1");
    let mut s = Stream::open_after(&hq, &token, -5).await;
    assert_eq!(s.next().await.1["id"], "new_1");
    drop(s);
    // Revoked and enrolled again: a fresh start, from then on.
    easyqr_hq::enrol::revoke(&hq.db, "A1").await.unwrap();
    let e = code_event("while_revoked", "cod_r", "loc_a");
    assert_eq!(hq.deliver(&e, SECRET, now).await, 200);
    let token = hq.enrol("loc_a", "A1").await;
    let e = code_event("new_2", "cod_new2", "loc_a");
    assert_eq!(hq.deliver(&e, SECRET, now).await, 200);
    let mut s = Stream::open_after(&hq, &token, 0).await;
    assert_eq!(s.next().await.1["id"], "new_2");
}
