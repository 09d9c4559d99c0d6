//! Issue 22 point 3 against the real HQ on a real PostgreSQL: a register
//! sizes its journal batches by bytes, so a journal of more than HQ's
//! batch limit (1 MiB) in fewer rows than the row cap ships whole; and a
//! batch HQ refuses with its 413 is split, never sent again as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use easyqr_app_core::secrets::HqToken;
use easyqr_ledger::Ledger;
use easyqr_pos_core::hq::{
    ship_backlog, ship_backlog_within, BatchLimit, HqClient, HqError, MAX_BATCH_BYTES,
    MAX_BATCH_ROWS,
};
use easyqr_pos_core::{ChargeRequest, Item, Register};
use easyqr_tax::{Pricing, Rounding, TaxPolicy, TaxRate};
use easyqr_test_harness::world::{world, World};
use support::*;

/// A register whose journal holds more than 1 MiB in fewer than 500 rows:
/// sales of 100 item lines with 40-character names (each `sale.taxed`
/// row some 15 KiB), as the register's rules allow.
async fn heavy_register() -> World {
    let w = world().await;
    let policy = TaxPolicy {
        pricing: Pricing::Included,
        rounding: Rounding::Floor,
        default_rate: TaxRate::Standard,
    };
    let register = Register::new(w.engine.clone());
    for s in 0..80 {
        let items = (0..easyqr_tax::LINES_MAX)
            .map(|i| Item {
                name: format!("{s:02}{i:02}{}", "品".repeat(easyqr_tax::NAME_MAX - 4)),
                qty: 1,
                unit_price: 100,
                rate: None,
            })
            .collect();
        let req = ChargeRequest {
            items,
            ..ChargeRequest::default()
        };
        register.charge(&req, &policy).await.unwrap();
    }
    let rows = w.ledger.journal_rows_after(0, usize::MAX).unwrap();
    let bytes: usize = rows
        .iter()
        .map(|r| serde_json::to_vec(r).unwrap().len())
        .sum();
    assert!(
        bytes > MAX_BATCH_BYTES && rows.len() < MAX_BATCH_ROWS,
        "{} rows of {bytes} bytes",
        rows.len()
    );
    println!("a journal of {} rows, {bytes} bytes of JSON", rows.len());
    w
}

async fn held(hq: &Hq) -> i64 {
    hq.query_i64("SELECT count(*) FROM journal").await
}

fn client(hq: &Hq, token: &str) -> HqClient {
    let base = url::Url::parse(&format!("{}/", hq.base)).unwrap();
    HqClient::new(base, HqToken::parse(token).unwrap()).unwrap()
}

fn head(ledger: &Arc<Ledger>) -> i64 {
    ledger.journal_head_seq().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_larger_than_one_batch_ships_whole_in_batches_by_bytes() {
    let Some(hq) = Hq::start().await else { return };
    hq.store("loc_store1", "Shibuya").await;
    let token = hq.enrol("loc_store1", "S01R1").await;
    let w = heavy_register().await;
    let mut batches = Vec::new();
    let report = ship_backlog(&client(&hq, &token), &w.ledger, 0, false, |_, _, rows| {
        batches.push(rows)
    })
    .await
    .unwrap();
    assert_eq!((report.acked, report.backlog), (head(&w.ledger), 0));
    assert!(
        batches.len() >= 2,
        "fewer than 500 rows, yet several batches: {batches:?}"
    );
    assert_eq!(held(&hq).await, head(&w.ledger), "HQ holds every row once");
    println!(
        "{} rows shipped in {} batches of {batches:?} rows",
        head(&w.ledger),
        batches.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_hq_refuses_as_too_large_is_split_and_all_of_it_ships() {
    let Some(hq) = Hq::start().await else { return };
    hq.store("loc_store1", "Shibuya").await;
    let token = hq.enrol("loc_store1", "S01R1").await;
    let w = heavy_register().await;
    let c = client(&hq, &token);

    // HQ's own answer to a batch over its limit names the limit.
    let rows = w.ledger.journal_rows_after(0, MAX_BATCH_ROWS).unwrap();
    let e = c.ship(head(&w.ledger), 0, &rows).await.unwrap_err();
    assert_eq!(
        e,
        HqError::TooLarge {
            limit_bytes: Some(MAX_BATCH_BYTES as u64)
        }
    );
    assert_eq!(held(&hq).await, 0, "nothing of it stored");

    // A register that thought HQ took more splits what HQ refuses.
    let mut limit = BatchLimit::new(8 * MAX_BATCH_BYTES);
    let report = ship_backlog_within(&c, &w.ledger, 0, false, &mut limit, |_, _, _| {})
        .await
        .unwrap();
    assert_eq!(report.acked, head(&w.ledger));
    assert!(limit.bytes() <= MAX_BATCH_BYTES, "{}", limit.bytes());
    assert_eq!(held(&hq).await, head(&w.ledger));
}
