//! Ledgers written by earlier builds keep opening and verifying.
//!
//! `fixtures/ledger-v3.sqlite3` was written by the ledger as it was before
//! the typed journal (schema v3, the journal payloads built by hand), by
//! running [`scenario`] through `cargo test -p easyqr-ledger --test compat
//! -- --ignored write_fixture`. `fixtures/ledger-v1.sqlite3` was written by
//! the first ledger (commit 0d56b04, schema v1) running [`scenario_v1`].
//! Do not regenerate them with newer code: their whole point is that older
//! code wrote them.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use easyqr_ledger::*;
use elepay::Amount;

/// 2026-11-28 00:00 UTC (09:00 in Japan).
const T0: i64 = 1_795_824_000_000;
const MIN: i64 = 60_000;
const V1: &str = "ledger-v1.sqlite3";
const V3: &str = "ledger-v3.sqlite3";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/{name}"))
}

fn yen(v: i64) -> Amount {
    Amount::new(v).unwrap()
}

fn pending(l: &Ledger, a: &Attempt, code: &str, at: i64) {
    l.apply(a.id, &Change::Creating, at).unwrap();
    l.apply(
        a.id,
        &Change::Pending {
            code_id: code.into(),
            code_url: format!("https://pay.example/qr/{code}"),
            expiry_time: at + 10 * MIN,
            key_last4: "3f9a".into(),
        },
        at,
    )
    .unwrap();
}

fn captured(l: &Ledger, a: &Attempt, wallet: &str, source: &str, at: i64) {
    l.apply(
        a.id,
        &Change::Captured {
            charge_id: Some(format!("cha_{}", a.order_no)),
            payment_method: Some(wallet.into()),
            paid_time: Some(at - 1_000),
            source: source.into(),
        },
        at,
    )
    .unwrap();
}

/// A day at one register, touching every kind of journal row and every
/// state: paid by poll and by webhook, cancelled, expired then paid on a
/// retry, burned, rejected, paid after the shift closed, refunds refunded
/// and failed, the shift closed with its Z number.
fn scenario(l: &Ledger) {
    let prefix = OrderPrefix::new("S01R1").unwrap();
    let day = business_date(T0, 540);
    let shift = l.open_shift("R1", "Aiko", T0).unwrap();
    let mut t = T0 + MIN;
    let sale = |amount: i64, desc: Option<&str>, at: i64| {
        l.start_sale(yen(amount), desc, None, "R1", &prefix, &day, at)
            .unwrap()
    };

    // Paid, found by polling.
    let a1 = sale(1280, Some("Coffee ×2"), t);
    pending(l, &a1, "cod_1", t);
    captured(l, &a1, "paypay", "poll", t + 20_000);
    t += MIN;

    // Paid, told by a webhook (its event recorded once; the repeat is not).
    let a2 = sale(760, None, t);
    pending(l, &a2, "cod_2", t);
    assert!(l
        .record_webhook_event("evt_0001", "code.paid", t + 9_000)
        .unwrap());
    captured(l, &a2, "linepay", "webhook", t + 9_000);
    assert!(!l
        .record_webhook_event("evt_0001", "code.paid", t + 12_000)
        .unwrap());
    t += MIN;

    // Cancelled by the cashier.
    let a3 = sale(300, Some("Tea"), t);
    pending(l, &a3, "cod_3", t);
    l.apply(a3.id, &Change::Closed, t + 30_000).unwrap();
    t += MIN;

    // Expired, then paid on a second code for the same sale.
    let a4 = sale(2000, None, t);
    pending(l, &a4, "cod_4", t);
    l.apply(a4.id, &Change::Expired, t + 10 * MIN).unwrap();
    t += 11 * MIN;
    let no = l.next_order_no(&prefix, &day).unwrap();
    let a4b = l.reserve_attempt(a4.sale_id, &no, t).unwrap();
    pending(l, &a4b, "cod_4b", t);
    captured(l, &a4b, "paypay", "poll", t + 40_000);
    t += MIN;

    // The create's outcome was unknown: burned.
    let a5 = sale(450, None, t);
    l.apply(a5.id, &Change::Creating, t).unwrap();
    l.apply(
        a5.id,
        &Change::Burned {
            reason: "create timed out".into(),
        },
        t + 15_000,
    )
    .unwrap();
    t += MIN;

    // Rung up and reserved in two steps; elepay refused the create.
    let s6 = l.create_sale(yen(99), Some("Gum"), Some(shift), t).unwrap();
    let a6 = l
        .reserve_attempt(s6, &l.next_order_no(&prefix, &day).unwrap(), t)
        .unwrap();
    l.apply(a6.id, &Change::Creating, t).unwrap();
    l.apply(
        a6.id,
        &Change::Rejected {
            error_code: "20201".into(),
            message: "amount below the minimum".into(),
        },
        t + 1_000,
    )
    .unwrap();
    t += MIN;

    // Refunds: one all the way to refunded, one that failed unanswered.
    let r1 = l
        .request_refund(a1.id, yen(280), Some("one coffee returned"), None, "R1", t)
        .unwrap();
    l.update_refund(r1.id, Some("rfd_0001"), RefundState::Pending, t + 2_000)
        .unwrap();
    l.update_refund(r1.id, None, RefundState::Refunded, t + 60_000)
        .unwrap();
    let r2 = l
        .request_refund(a2.id, yen(100), None, None, "R1", t + 90_000)
        .unwrap();
    l.update_refund(r2.id, None, RefundState::Failed, t + 6 * MIN)
        .unwrap();
    t += 7 * MIN;

    // Still on screen when the shift closes; paid just after.
    let a7 = sale(5400, Some("Lunch set"), t);
    pending(l, &a7, "cod_7", t);
    t += MIN;
    let z = l.close_shift("R1", t).unwrap();
    assert_eq!(z.z_number, Some(1));
    captured(l, &a7, "paypay", "poll", t + 30_000);
}

/// A day on the first ledger (schema v1: no shift close yet, and attempt
/// rows that did not journal the code URL or the key's last digits). Only
/// calls that ledger had; `fixtures/ledger-v1.sqlite3` was written by
/// running this on commit 0d56b04's ledger crate.
fn scenario_v1(l: &Ledger) {
    let shift = l.open_shift("R1", "Aiko", T0).unwrap();
    let mut seq = 0;
    let mut no = || {
        seq += 1;
        elepay::OrderNo::new(format!("S01R1-20261128-{seq:04}")).unwrap()
    };
    let mut t = T0 + MIN;
    // Paid by poll; paid after an expiry on a second code, told by a webhook.
    let s1 = l
        .create_sale(yen(1280), Some("Coffee ×2"), Some(shift), t)
        .unwrap();
    let a1 = l.reserve_attempt(s1, &no(), t).unwrap();
    pending(l, &a1, "cod_1", t);
    captured(l, &a1, "paypay", "poll", t + 20_000);
    t += MIN;
    let s2 = l.create_sale(yen(2000), None, Some(shift), t).unwrap();
    let a2 = l.reserve_attempt(s2, &no(), t).unwrap();
    pending(l, &a2, "cod_2", t);
    l.apply(a2.id, &Change::Expired, t + 10 * MIN).unwrap();
    t += 11 * MIN;
    let a2b = l.reserve_attempt(s2, &no(), t).unwrap();
    pending(l, &a2b, "cod_2b", t);
    assert!(l
        .record_webhook_event("evt_0001", "code.paid", t + 9_000)
        .unwrap());
    captured(l, &a2b, "linepay", "webhook", t + 9_000);
    t += MIN;
    // Cancelled; burned; rejected; one rung up outside any shift.
    let s3 = l
        .create_sale(yen(300), Some("Tea"), Some(shift), t)
        .unwrap();
    let a3 = l.reserve_attempt(s3, &no(), t).unwrap();
    pending(l, &a3, "cod_3", t);
    l.apply(a3.id, &Change::Closed, t + 30_000).unwrap();
    let s4 = l.create_sale(yen(450), None, Some(shift), t).unwrap();
    let a4 = l.reserve_attempt(s4, &no(), t).unwrap();
    l.apply(a4.id, &Change::Creating, t).unwrap();
    let burned = Change::Burned {
        reason: "create timed out".into(),
    };
    l.apply(a4.id, &burned, t + 15_000).unwrap();
    let s5 = l.create_sale(yen(99), None, None, t).unwrap();
    let a5 = l.reserve_attempt(s5, &no(), t).unwrap();
    l.apply(a5.id, &Change::Creating, t).unwrap();
    let rejected = Change::Rejected {
        error_code: "20201".into(),
        message: "amount below the minimum".into(),
    };
    l.apply(a5.id, &rejected, t + 1_000).unwrap();
    t += MIN;
    // A refund refunded, one failed.
    let r1 = l
        .request_refund(a1.id, yen(280), Some("one coffee returned"), None, "R1", t)
        .unwrap();
    l.update_refund(r1.id, Some("rfd_0001"), RefundState::Pending, t + 2_000)
        .unwrap();
    l.update_refund(r1.id, None, RefundState::Refunded, t + 60_000)
        .unwrap();
    let r2 = l
        .request_refund(a2b.id, yen(100), None, None, "R1", t + 90_000)
        .unwrap();
    l.update_refund(r2.id, None, RefundState::Failed, t + 6 * MIN)
        .unwrap();
}

/// Writes the fixture with the code of the day. Run once, by hand.
#[test]
#[ignore = "writes tests/fixtures/ledger-v3.sqlite3; run by hand only"]
fn write_fixture() {
    let path = fixture(V3);
    // Written once by the code before the typed journal; never again.
    assert!(!path.exists(), "{} exists; keep it", path.display());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let l = Ledger::open(&path).unwrap();
    scenario(&l);
    assert!(l.verify().unwrap().is_intact());
    l.with_connection(|c| {
        // Small pages keep the committed file small; the WAL is folded in.
        c.execute_batch(
            "PRAGMA journal_mode = DELETE; PRAGMA page_size = 1024; VACUUM;
             PRAGMA journal_mode = WAL; PRAGMA wal_checkpoint(TRUNCATE);",
        )
        .unwrap()
    });
    drop(l);
}

/// A copy of the fixture in a temporary folder (the original stays as
/// committed: opening a ledger may write to it).
fn fixture_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite3");
    std::fs::copy(fixture(name), &path).unwrap();
    (dir, path)
}

fn total(count: i64, amount: i64) -> StateTotal {
    StateTotal { count, amount }
}

/// (seq, at, kind, sale, attempt, payload, hash) of every journal row.
type Row = (i64, i64, String, Option<i64>, Option<i64>, String, String);

fn journal(l: &Ledger) -> Vec<Row> {
    l.with_connection(|c| {
        let mut stmt = c
            .prepare(
                "SELECT seq, at, kind, sale_id, attempt_id, payload, hash FROM journal ORDER BY seq",
            )
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })
            .unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    })
}

#[test]
fn a_ledger_written_before_the_typed_journal_opens_and_verifies() {
    let (_d, path) = fixture_copy(V3);
    assert!(Ledger::verify_file(&path, None).unwrap().is_intact());
    let l = Ledger::open(&path).unwrap();
    let report = l.verify().unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.rows, 44);

    let z = l.shift_report(1, T0 + 60 * MIN).unwrap();
    assert_eq!((z.kind(), z.shift.z_number), ("Z", Some(1)));
    assert_eq!(z.shift.cashier, "Aiko");
    assert_eq!(z.paid, total(4, 9440));
    assert_eq!(z.late, total(1, 5400));
    assert_eq!(
        z.paid_by_wallet,
        [
            ("linepay".to_owned(), total(1, 760)),
            ("paypay".to_owned(), total(3, 8680))
        ]
    );
    assert_eq!(
        (z.cancelled, z.expired, z.burned, z.rejected, z.unresolved),
        (
            total(1, 300),
            total(1, 2000),
            total(1, 450),
            total(1, 99),
            total(0, 0)
        )
    );
    assert_eq!(
        z.refunds,
        RefundTotals {
            refunded: total(1, 280),
            in_progress: total(0, 0),
            failed: total(1, 100),
        }
    );
    assert_eq!(z.net_sales, 9440 - 280);
    // Recorded before rates were: all "rate not recorded", never guessed.
    let by_rate = z.by_rate.unwrap();
    assert_eq!(
        by_rate.sales.unrecorded,
        RateAmount {
            gross: 9440,
            tax: 0
        }
    );
    assert_eq!(
        by_rate.refunds.unrecorded,
        RateAmount { gross: 280, tax: 0 }
    );
    assert_eq!(by_rate.sales.standard, RateAmount::default());
    assert_eq!((by_rate.net_sales, by_rate.customers), (9440 - 280, 4));
    assert_eq!(l.sale_record(1).unwrap().breakdown, None);
    assert_eq!(z.first_order_no.as_deref(), Some("S01R1-20261128-0001"));
    assert_eq!(z.last_order_no.as_deref(), Some("S01R1-20261128-0008"));
    assert!(l.webhook_seen("evt_0001").unwrap());
    assert!(l.unresolved_attempts().unwrap().is_empty());
    assert!(l.unsettled_refunds().unwrap().is_empty());

    // And it takes new payments on top of the old chain.
    l.open_shift("R1", "Ben", T0 + 70 * MIN).unwrap();
    let prefix = OrderPrefix::new("S01R1").unwrap();
    let a = l
        .start_sale(
            yen(500),
            None,
            None,
            "R1",
            &prefix,
            "20261128",
            T0 + 71 * MIN,
        )
        .unwrap();
    assert_eq!(a.order_no, "S01R1-20261128-0009");
    pending(&l, &a, "cod_9", T0 + 71 * MIN);
    captured(&l, &a, "paypay", "poll", T0 + 72 * MIN);
    assert!(l.verify().unwrap().is_intact());
}

/// Every sale's timeline of an old ledger: each row read, and handed to
/// the UI with the kind and payload it was stored with.
fn timelines_match_the_stored_rows(name: &str, sales: i64, sale_rows: usize) {
    let (_d, path) = fixture_copy(name);
    let l = Ledger::open(&path).unwrap();
    let stored = journal(&l);
    let mut seen = 0;
    for sale in 1..=sales {
        for e in l.sale_timeline(sale).unwrap() {
            let row = stored.iter().find(|r| r.0 == e.seq).unwrap();
            assert_eq!((row.1, row.3, row.4), (e.at, Some(sale), e.attempt_id));
            let json = serde_json::to_value(&e).unwrap();
            assert_eq!(json["kind"], row.2.as_str());
            assert_eq!(e.kind(), row.2);
            let payload: serde_json::Value = serde_json::from_str(&row.5).unwrap();
            assert_eq!(json["payload"], payload, "{name} row {}", e.seq);
            assert_eq!(json["seq"], e.seq);
            seen += 1;
        }
    }
    assert_eq!(seen, sale_rows, "{name}");
}

#[test]
fn every_old_row_reaches_the_timeline_as_it_was_stored() {
    // All rows but the shift rows belong to a sale.
    timelines_match_the_stored_rows(V3, 7, 42);
    timelines_match_the_stored_rows(V1, 5, 32);
}

#[test]
fn a_version_1_ledger_and_its_journal_migrate_and_verify() {
    let (_d, path) = fixture_copy(V1);
    let l = Ledger::open(&path).unwrap();
    l.with_connection(|c| {
        let v: i64 = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    });
    let report = l.verify().unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.rows, 33);
    let x = l.shift_report(1, T0 + 60 * MIN).unwrap();
    assert_eq!(x.kind(), "X");
    assert_eq!(x.paid, total(2, 3280));
    assert_eq!(
        x.paid_by_wallet,
        [
            ("linepay".to_owned(), total(1, 2000)),
            ("paypay".to_owned(), total(1, 1280))
        ]
    );
    assert_eq!(
        (x.cancelled, x.expired, x.burned, x.rejected),
        (total(1, 300), total(1, 2000), total(1, 450), total(0, 0))
    );
    assert_eq!(x.refunds.refunded, total(1, 280));
    assert_eq!(x.refunds.failed, total(1, 100));
    // The migration counted the old payments and refunds as rate not recorded.
    let by_rate = x.by_rate.unwrap();
    assert_eq!(
        by_rate.sales.unrecorded,
        RateAmount {
            gross: 3280,
            tax: 0
        }
    );
    assert_eq!(
        by_rate.refunds.unrecorded,
        RateAmount { gross: 280, tax: 0 }
    );
    assert_eq!(by_rate.sales.tax(), 0);
    assert_eq!(x.net_sales, 3000);
    assert_eq!(x.first_order_no.as_deref(), Some("S01R1-20261128-0001"));
    assert_eq!(x.last_order_no.as_deref(), Some("S01R1-20261128-0005"));
    // The rows v1 wrote without a code URL still hold the attempt's URL.
    let a = l.attempt(1).unwrap();
    assert_eq!(a.code_url.as_deref(), Some("https://pay.example/qr/cod_1"));
    // Today's code closes its shift and keeps the chain.
    let z = l.close_shift("R1", T0 + 61 * MIN).unwrap();
    assert_eq!(z.z_number, Some(1));
    assert!(l.verify().unwrap().is_intact());
    // A v1 row changed behind the journal is still caught.
    l.with_connection(|c| {
        c.execute_batch("UPDATE attempts SET code_id = 'cod_x' WHERE id = 1;")
            .unwrap()
    });
    let bad = l.verify().unwrap().first_bad.unwrap();
    assert!(bad.reason.contains("code_id"), "{bad:?}");
}

/// `new` holds the rows of `old` (same order, times, kinds, links and
/// payload values), each payload with exactly the fields `added` names for
/// it on top (fields journaled since).
fn same_rows_plus(
    new: &[Row],
    old: &[Row],
    added: impl Fn(&str, &serde_json::Value) -> Vec<&'static str>,
) {
    assert_eq!(new.len(), old.len());
    for (n, o) in new.iter().zip(old) {
        assert_eq!((n.0, n.1, &n.2, n.3, n.4), (o.0, o.1, &o.2, o.3, o.4));
        let (n_p, o_p): (serde_json::Value, serde_json::Value) = (
            serde_json::from_str(&n.5).unwrap(),
            serde_json::from_str(&o.5).unwrap(),
        );
        let expected = added(&o.2, &o_p);
        let (n_p, o_p) = (n_p.as_object().unwrap(), o_p.as_object().unwrap());
        for (k, v) in o_p {
            assert_eq!(n_p.get(k), Some(v), "row {} {k}", n.0);
        }
        let mut extra: Vec<&str> = n_p
            .keys()
            .filter(|k| !o_p.contains_key(*k))
            .map(String::as_str)
            .collect();
        extra.sort_unstable();
        assert_eq!(extra, expected, "row {}", n.0);
        if expected.is_empty() {
            assert_eq!(n.5, o.5, "row {}: the same text, so the same hash", n.0);
        }
    }
}

/// Since schema v5 a refund request journals the shift it counts in, and a
/// close the Z figures it keeps.
fn refund_shift(kind: &str) -> Vec<&'static str> {
    match kind {
        "refund.requested" => vec!["shiftId"],
        "shift.closed" => vec!["figures"],
        _ => vec![],
    }
}

#[test]
fn todays_code_writes_the_rows_the_old_code_wrote_plus_the_fields_added_in_v5() {
    // Same operations, same clock: the same payload text (and so the same
    // hash) for every row but the refund requests, which now name their shift.
    let (_d, path) = fixture_copy(V3);
    let old = journal(&Ledger::open(&path).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("new.sqlite3")).unwrap();
    scenario(&l);
    same_rows_plus(&journal(&l), &old, |kind, _| refund_shift(kind));
}

#[test]
fn todays_code_writes_what_the_first_ledger_wrote_plus_the_fields_added_since() {
    let (_d, path) = fixture_copy(V1);
    let old = journal(&Ledger::open(&path).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("new.sqlite3")).unwrap();
    scenario_v1(&l);
    same_rows_plus(&journal(&l), &old, |kind, p| {
        if p.get("to").and_then(|t| t.as_str()) == Some("pending") {
            vec!["codeUrl", "keyLast4"]
        } else {
            refund_shift(kind)
        }
    });
}

#[test]
fn a_tampered_copy_of_the_old_ledger_is_caught() {
    let cases = [
        // A journal row rewritten (its hash no longer fits).
        (
            "DROP TRIGGER journal_no_update;
             UPDATE journal SET payload = replace(payload, '5400', '540') WHERE seq = 39;",
            39,
            "content was changed",
        ),
        // A refund made smaller behind the journal's back.
        (
            "UPDATE refunds SET amount = 28 WHERE id = 1;",
            36,
            "journal says 280",
        ),
        // A paid code's wallet changed.
        (
            "UPDATE attempts SET payment_method = 'cash' WHERE id = 2;",
            11,
            "journal says linepay",
        ),
    ];
    for (sql, seq, reason) in cases {
        let (_d, path) = fixture_copy(V3);
        let l = Ledger::open(&path).unwrap();
        l.with_connection(|c| c.execute_batch(sql).unwrap());
        let bad = l.verify().unwrap().first_bad.unwrap();
        assert_eq!(bad.seq, seq, "{sql}: {bad:?}");
        assert!(bad.reason.contains(reason), "{sql}: {bad:?}");
    }
}
