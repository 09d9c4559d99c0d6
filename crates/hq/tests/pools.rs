//! The database pools under starvation: a request that finds no free
//! connection within the pool's wait is answered 503 with Retry-After (the
//! register and elepay send it again) instead of hanging, and elepay's
//! webhook has connections of its own, so it is stored and answered while
//! every connection of the main pool is stuck.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use easyqr_hq::Config;
use support::*;

/// Until `sql` (a count) reaches `n`; bounded.
async fn until_count(hq: &Hq, sql: &str, n: i64) {
    for _ in 0..200 {
        if hq.query_i64(sql).await == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{sql} never reached {n}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_starved_pool_answers_503_and_the_webhook_still_lands() {
    let Some(url) = fresh_db().await else { return };
    let wait = Duration::from_millis(500);
    let cfg = Config {
        pool_size: 2,
        pool_wait: wait,
        ..config(&url)
    };
    let hq = Hq::with(cfg, easyqr_hq::system_clock()).await;
    hq.store("loc_p", "Pool").await;
    let token = hq.enrol("loc_p", "P1").await;

    // The test's own session locks the registers table, as a long
    // transaction would: each register request then holds one of HQ's
    // connections while it waits.
    let mut locker = hq.db.get().await.unwrap();
    let tx = locker.transaction().await.unwrap();
    tx.batch_execute("LOCK TABLE registers IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let me = format!("{}/api/register/me", hq.base);
    let held: Vec<_> = (0..2)
        .map(|_| {
            let req = hq.http.get(&me).bearer_auth(&token);
            tokio::spawn(async move { req.send().await.unwrap().status().as_u16() })
        })
        .collect();
    until_count(
        &hq,
        "SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
        2,
    )
    .await;

    // The pool is exhausted: the next register request waits out the
    // pool's wait, then gets 503 with Retry-After (not a hang).
    let t = Instant::now();
    let r = tokio::time::timeout(
        Duration::from_secs(10),
        hq.http.get(&me).bearer_auth(&token).send(),
    )
    .await
    .expect("a starved request hangs")
    .unwrap();
    let starved = t.elapsed();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "1");
    assert!(
        starved >= wait,
        "answered before the pool's wait: {starved:?}"
    );
    eprintln!("starved register request answered 503 after {starved:?} (pool wait {wait:?})");

    // The webhook has its own connections: stored and answered meanwhile.
    let t = Instant::now();
    let body = code_event("evt_pool", "cod_pool", "loc_p");
    let status = tokio::time::timeout(
        Duration::from_secs(10),
        hq.deliver(&body, SECRET, now_secs()),
    )
    .await
    .expect("the webhook queued behind the main pool");
    eprintln!(
        "webhook answered {status} in {:?} with the main pool exhausted",
        t.elapsed()
    );
    assert_eq!(status, 200);
    assert_eq!(
        hq.query_i64("SELECT count(*) FROM inbox WHERE event_id = 'evt_pool'")
            .await,
        1
    );

    // The lock gone, the held requests finish.
    tx.rollback().await.unwrap();
    for h in held {
        assert_eq!(h.await.unwrap(), 200);
    }
}
