//! Journal shipping: every register's rows stored once by (register, seq),
//! the chain checked, the acknowledged seq right, HQ's figures the ledger's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Stdio;

use easyqr_hq::ship::{ingest, Batch};
use easyqr_ledger::JournalRow;
use serde_json::{json, Value};
use support::register::{all_rows, busy_register};
use support::*;
use tokio::io::AsyncBufReadExt as _;

async fn register_row(hq: &Hq, register: &str) -> i64 {
    let c = hq.db.get().await.unwrap();
    c.query_one(
        "SELECT id FROM registers WHERE register_id = $1",
        &[&register],
    )
    .await
    .unwrap()
    .get(0)
}

fn batch(rows: &[JournalRow], head: i64) -> Batch {
    Batch {
        head,
        acked_seen: 0,
        rows: rows.to_vec(),
    }
}

/// HQ's copy has the register's rows 1..=n exactly once.
async fn assert_exact_copy(hq: &Hq, register: i64, rows: &[JournalRow]) {
    let c = hq.db.get().await.unwrap();
    let held = c
        .query(
            "SELECT seq, hash FROM journal WHERE register = $1 ORDER BY seq",
            &[&register],
        )
        .await
        .unwrap();
    let held: Vec<(i64, String)> = held.iter().map(|r| (r.get(0), r.get(1))).collect();
    let want: Vec<(i64, String)> = rows.iter().map(|r| (r.seq, r.hash.clone())).collect();
    assert_eq!(held, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_and_reordered_batches_give_one_copy_without_gaps_and_the_ledgers_figures() {
    let Some(hq) = Hq::start().await else { return };
    hq.store("loc_store1", "Shibuya").await;
    hq.enrol("loc_store1", "S01R1").await;
    let reg = register_row(&hq, "S01R1").await;
    let (w, shift) = busy_register(9).await;
    let rows = all_rows(&w);
    let head = rows.last().unwrap().seq;
    assert!(head > 40, "a busy journal ({head} rows)");
    let chunks: Vec<&[JournalRow]> = rows.chunks(7).collect();

    // The second chunk first: nothing below it, so nothing is acknowledged.
    let a = ingest(&hq.db, reg, &batch(chunks[1], head)).await.unwrap();
    assert_eq!((a.acked, a.diverged), (0, None));
    // Then everything, newest first, each batch twice.
    let mut acked = Vec::new();
    for c in chunks.iter().rev() {
        for _ in 0..2 {
            acked.push(ingest(&hq.db, reg, &batch(c, head)).await.unwrap().acked);
        }
    }
    // The gap at the start closes only with the first chunk (sent last).
    assert!(
        acked[..acked.len() - 2].iter().all(|&a| a == 0),
        "{acked:?}"
    );
    assert_eq!(acked[acked.len() - 2..], [head, head]);
    assert_exact_copy(&hq, reg, &rows).await;
    // A mixed batch of old and new rows after that is harmless.
    let a = ingest(&hq.db, reg, &batch(&rows[3..9], head))
        .await
        .unwrap();
    assert_eq!((a.acked, a.diverged), (head, None));
    // So is an old batch that ended at the head the register had then
    // (a retry overtaken by a newer shipment, a second shipper): it is
    // stale, not a sign of a ledger put back.
    let a = ingest(&hq.db, reg, &batch(&rows[..9], 9)).await.unwrap();
    assert_eq!((a.acked, a.diverged), (head, None));

    // HQ's copy counts like the register: the Z at its close and now
    // (the late payment came after it).
    let c = hq.db.get().await.unwrap();
    let z = easyqr_hq::books::z_reports(&c, Some("loc_store1"), None, 10)
        .await
        .unwrap();
    assert_eq!(z.len(), 1);
    let report = w.ledger.shift_report(shift, w.engine.now_ms()).unwrap();
    assert_eq!(z[0].at_close.as_ref(), Some(&report.figures));
    assert_eq!(z[0].since_close, report.since_close);
    assert_eq!(z[0].now.late.count, 1);
    assert_eq!(
        z[0].now.refunds.refunded.amount + z[0].now.refunds.in_progress.amount,
        50
    );
    let (payments, refunds) = easyqr_hq::books::shift_detail(&c, reg, shift)
        .await
        .unwrap();
    assert_eq!(payments.len(), 10);
    assert_eq!(payments.iter().filter(|p| p.late).count(), 1);
    assert_eq!(refunds.len(), 1);
    // Backlog: the register says its head; HQ holds it all.
    let (backlog,): (i64,) = {
        let r = c
            .query_one(
                "SELECT head_seq - acked_seq FROM registers WHERE id = $1",
                &[&reg],
            )
            .await
            .unwrap();
        (r.get(0),)
    };
    assert_eq!(backlog, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rewritten_register_history_is_flagged_and_not_stored() {
    let Some(hq) = Hq::start().await else { return };
    hq.store("loc_store1", "Shibuya").await;
    let token = hq.enrol("loc_store1", "S01R1").await;
    let reg = register_row(&hq, "S01R1").await;
    let (w, _) = busy_register(3).await;
    let rows = all_rows(&w);
    let head = rows.last().unwrap().seq;
    assert_eq!(
        ingest(&hq.db, reg, &batch(&rows, head))
            .await
            .unwrap()
            .acked,
        head
    );

    // The register's file is put back from an older copy and sells on: a
    // different history from row 6 on, re-chained so each row holds.
    let (other, _) = busy_register(2).await;
    let mut rewritten = rows[..5].to_vec();
    rewritten.extend(all_rows(&other).into_iter().skip(5).take(4).scan(
        rows[4].hash.clone(),
        |prev, mut r| {
            r.prev_hash = prev.clone();
            r.hash = r.content_hash();
            *prev = r.hash.clone();
            Some(r)
        },
    ));
    let a = ingest(&hq.db, reg, &batch(&rewritten, head)).await.unwrap();
    let d = a.diverged.expect("flagged");
    assert_eq!(d.seq, 6);
    assert!(d.reason.contains("rewritten"), "{}", d.reason);
    assert_eq!(a.acked, head);
    // HQ's copy is untouched, the flag stays, the register is told.
    assert_exact_copy(&hq, reg, &rows).await;
    let (_, me) = hq.me(&token).await;
    assert_eq!(me["diverged"]["seq"], 6);
    let c = hq.db.get().await.unwrap();
    let o = easyqr_hq::books::overview(&c, "20000101").await.unwrap();
    assert!(o.stores[0].registers[0].diverged.is_some());

    // New rows whose chain does not continue HQ's copy are caught too, and
    // a row whose content does not match its hash.
    let fresh = Hq::start().await.unwrap();
    fresh.store("loc_store1", "Shibuya").await;
    fresh.enrol("loc_store1", "S01R1").await;
    let reg = register_row(&fresh, "S01R1").await;
    ingest(&fresh.db, reg, &batch(&rows[..5], head))
        .await
        .unwrap();
    let mut unlinked = rows[5].clone();
    unlinked.prev_hash = rows[3].hash.clone();
    unlinked.hash = unlinked.content_hash();
    let d = ingest(&fresh.db, reg, &batch(&[unlinked], head))
        .await
        .unwrap()
        .diverged
        .unwrap();
    assert_eq!(d.seq, 6);
    assert!(d.reason.contains("does not link"), "{}", d.reason);
    // The first sale's amount edited (¥100 → ¥10).
    let mut edited = rows[1].clone();
    assert_eq!(edited.kind, "sale.created");
    edited.payload = edited.payload.replace("100", "10");
    assert_ne!(edited.payload, rows[1].payload);
    let third = Hq::start().await.unwrap();
    third.store("loc_store1", "Shibuya").await;
    third.enrol("loc_store1", "S01R1").await;
    let reg = register_row(&third, "S01R1").await;
    let d = ingest(&third.db, reg, &batch(&[rows[0].clone(), edited], head))
        .await
        .unwrap()
        .diverged;
    assert!(d.is_some_and(|d| d.reason.contains("does not match its hash")));

    // The register's file put back from an older copy of itself: every
    // row it has matches, but it ends before what HQ told it HQ holds. Its
    // first batch (its newest row, at its head) says so.
    let fourth = Hq::start().await.unwrap();
    fourth.store("loc_store1", "Shibuya").await;
    fourth.enrol("loc_store1", "S01R1").await;
    let reg = register_row(&fourth, "S01R1").await;
    ingest(&fourth.db, reg, &batch(&rows, head)).await.unwrap();
    let older = &rows[..head as usize - 3];
    let opening = Batch {
        acked_seen: head,
        ..batch(&older[older.len() - 1..], head - 3)
    };
    let a = ingest(&fourth.db, reg, &opening).await.unwrap();
    let d = a.diverged.expect("a shorter journal is flagged");
    assert_eq!((d.seq, a.acked), (head - 2, head));
    assert!(d.reason.contains("older copy"), "{}", d.reason);
    assert_exact_copy(&fourth, reg, &rows).await;
}

/// A row appended to `rows`' chain, as a newer register might write it.
fn chained(prev: &JournalRow, kind: &str, payload: &str) -> JournalRow {
    let mut r = JournalRow {
        seq: prev.seq + 1,
        at: prev.at + 1000,
        kind: kind.into(),
        sale_id: None,
        attempt_id: None,
        payload: payload.into(),
        prev_hash: prev.hash.clone(),
        hash: String::new(),
    };
    r.hash = r.content_hash();
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_this_hq_cannot_read_yet_are_kept_and_the_figures_wait_before_them() {
    let Some(hq) = Hq::start().await else { return };
    hq.store("loc_store1", "Shibuya").await;
    hq.enrol("loc_store1", "S01R1").await;
    let reg = register_row(&hq, "S01R1").await;
    let (w, shift) = busy_register(3).await;
    let mut rows = all_rows(&w);
    let known = rows.last().unwrap().seq;
    // A register upgraded before its HQ writes a kind HQ does not know.
    let future = chained(rows.last().unwrap(), "tip.added", r#"{"amount":100}"#);
    rows.push(future.clone());
    rows.push(chained(&future, "tip.added", r#"{"amount":200}"#));
    let head = known + 2;
    let a = ingest(&hq.db, reg, &batch(&rows, head)).await.unwrap();
    assert_eq!((a.acked, a.diverged), (head, None), "the copy is held");
    assert_exact_copy(&hq, reg, &rows).await;
    let projected = "SELECT projected_seq FROM registers WHERE register_id = 'S01R1'";
    assert_eq!(hq.query_i64(projected).await, known);
    let c = hq.db.get().await.unwrap();
    let o = easyqr_hq::books::overview(&c, "20000101").await.unwrap();
    let why = o.stores[0].registers[0].unreadable.clone().expect("shown");
    assert!(why.contains(&format!("row {}", known + 1)), "{why}");
    // The figures are the register's up to there.
    let z = easyqr_hq::books::z_reports(&c, Some("loc_store1"), None, 10)
        .await
        .unwrap();
    let report = w.ledger.shift_report(shift, w.engine.now_ms()).unwrap();
    assert_eq!(z[0].at_close.as_ref(), Some(&report.figures));
    // A later batch does not move the projection past the row either.
    let a = ingest(&hq.db, reg, &batch(&rows[rows.len() - 1..], head))
        .await
        .unwrap();
    assert_eq!(a.acked, head);
    assert_eq!(hq.query_i64(projected).await, known);
}

/// `easyqr-hq` as the brand runs it, on `database_url`; its base URL.
async fn spawn_hq(database_url: &str) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_easyqr-hq"))
        .args(["--addr", "127.0.0.1:0"])
        .env("DATABASE_URL", database_url)
        .env("EASYQR_HQ_WEBHOOK_SECRETS", SECRET)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut out = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = out.next_line().await.unwrap().expect("a listening line");
    let base = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {line}"))
        .to_owned();
    (child, base)
}

async fn ship(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    rows: &[JournalRow],
    head: i64,
) -> Option<Value> {
    let r = http
        .post(format!("{base}/api/register/journal"))
        .bearer_auth(token)
        .json(&json!({ "head": head, "rows": rows }))
        .send()
        .await
        .ok()?;
    if !r.status().is_success() {
        return None;
    }
    r.json().await.ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_shipped_across_an_hq_crash_are_stored_once_without_a_gap() {
    let Some(url) = fresh_db().await else { return };
    let (w, _) = busy_register(12).await;
    let rows = all_rows(&w);
    let head = rows.last().unwrap().seq;
    let (mut hq, base) = spawn_hq(&url).await;
    let pool = easyqr_hq::db::pool(&url, 2).unwrap();
    easyqr_hq::enrol::add_store(&pool, "loc_store1", "Shibuya")
        .await
        .unwrap();
    let token = easyqr_hq::enrol::enrol(&pool, "loc_store1", "S01R1")
        .await
        .unwrap();
    let http = reqwest::Client::new();

    // A register ships batch after batch; HQ is killed while it does.
    let shipper = {
        let (http, base, token, rows) = (http.clone(), base.clone(), token.clone(), rows.clone());
        tokio::spawn(async move {
            let mut sent = 0;
            for c in rows.chunks(3).cycle() {
                if ship(&http, &base, &token, c, head).await.is_none() {
                    return sent;
                }
                sent += 1;
            }
            sent
        })
    };
    // Let at least a few batches land, then kill -9 (the last one's
    // answer may be cut off: its projection follows its commit).
    loop {
        let n: i64 = pool
            .get()
            .await
            .unwrap()
            .query_one("SELECT count(*) FROM journal", &[])
            .await
            .unwrap()
            .get(0);
        if n >= 12 {
            break;
        }
        tokio::task::yield_now().await;
    }
    hq.start_kill().unwrap();
    hq.wait().await.unwrap();
    let sent = shipper.await.unwrap();
    assert!(sent >= 3);

    // Back up: the register resumes from what HQ acknowledges, replays the
    // first batches too for good measure, and reaches its head.
    let (_hq, base) = spawn_hq(&url).await;
    let me: Value = http
        .get(format!("{base}/api/register/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut acked = me["journalAcked"].as_i64().unwrap();
    // Whole batches of 3 only; the journal's last batch may be shorter.
    assert!(
        acked >= 9 && (acked % 3 == 0 || acked == head),
        "whole batches only: {acked} of {head}"
    );
    ship(&http, &base, &token, &rows[..6], head).await.unwrap();
    while acked < head {
        let from = usize::try_from(acked).unwrap();
        let a = ship(
            &http,
            &base,
            &token,
            &rows[from..(from + 50).min(rows.len())],
            head,
        )
        .await
        .unwrap();
        assert_eq!(a["diverged"], Value::Null);
        acked = a["acked"].as_i64().unwrap();
    }
    assert_eq!(acked, head);
    let c = pool.get().await.unwrap();
    let (n, distinct, max): (i64, i64, i64) = {
        let r = c
            .query_one(
                "SELECT count(*), count(DISTINCT seq), max(seq) FROM journal",
                &[],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1), r.get(2))
    };
    assert_eq!((n, distinct, max), (head, head, head));
    // The projection follows the commit: the restarted HQ's own resume may
    // hold the register, so its last batch's answer need not wait for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let p: i64 = c
            .query_one("SELECT projected_seq FROM registers", &[])
            .await
            .unwrap()
            .get(0);
        if p == head {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "projected {p} of {head}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let projected: i64 = c
        .query_one("SELECT count(*) FROM attempts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(projected, 13, "every attempt projected once");
}
