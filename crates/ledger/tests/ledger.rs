//! The ledger on a real SQLite file: the orderNo registry, transitions,
//! durability across reopen, and tamper detection of the journal.

#![allow(clippy::unwrap_used)]

use easyqr_ledger::*;
use elepay::{Amount, OrderNo};

const T0: i64 = 1_795_800_000_000;

fn ledger() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("ledger.sqlite3")).unwrap();
    (dir, l)
}

fn pending(code: &str) -> Change {
    Change::Pending {
        code_id: code.into(),
        code_url: format!("http://sim/pay/code/{code}"),
        expiry_time: T0 + 600_000,
        key_last4: "0001".into(),
    }
}

fn captured(charge: &str, source: &str) -> Change {
    Change::Captured {
        charge_id: Some(charge.into()),
        payment_method: Some("paypay".into()),
        paid_time: Some(T0 + 5_000),
        source: source.into(),
    }
}

/// A sale with one attempt driven to `pending`.
fn pending_attempt(l: &Ledger, order: &str, code: &str) -> Attempt {
    let sale = l
        .create_sale(Amount::new(1280).unwrap(), None, None, T0)
        .unwrap();
    let a = l
        .reserve_attempt(sale, &OrderNo::new(order).unwrap(), T0)
        .unwrap();
    l.apply(a.id, &Change::Creating, T0).unwrap();
    l.apply(a.id, &pending(code), T0).unwrap().attempt().clone()
}

fn journal_rows(l: &Ledger) -> i64 {
    l.with_connection(|c| {
        c.query_row("SELECT count(*) FROM journal", [], |r| r.get(0))
            .unwrap()
    })
}

#[test]
fn connection_settings_are_for_money() {
    let (_d, l) = ledger();
    l.with_connection(|c| {
        let mode: String = c
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        let sync: i64 = c
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        let fk: i64 = c
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        let ver: i64 = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(
            (mode.as_str(), sync, fk, ver),
            ("wal", 2, 1, SCHEMA_VERSION)
        );
    });
}

#[test]
fn a_newer_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite3");
    Ledger::open(&path).unwrap().with_connection(|c| {
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap()
    });
    match Ledger::open(&path) {
        Err(LedgerError::TooNew { found, .. }) => assert_eq!(found, SCHEMA_VERSION + 1),
        other => panic!("expected TooNew, got {other:?}"),
    }
}

#[test]
fn order_no_is_blocked_while_payable_or_paid() {
    let (_d, l) = ledger();
    let a = pending_attempt(&l, "S1-20261128-0001", "cod_a");
    let sale2 = l
        .create_sale(Amount::new(500).unwrap(), None, None, T0)
        .unwrap();
    let no = OrderNo::new("S1-20261128-0001").unwrap();

    // Pending (even past its expiry time: expiry must be confirmed first).
    match l.reserve_attempt(sale2, &no, T0 + 3_600_000) {
        Err(LedgerError::OrderNoBlocked { holder, .. }) => assert_eq!(holder, a.id),
        other => panic!("expected OrderNoBlocked, got {other:?}"),
    }
    // Paid.
    l.apply(a.id, &captured("cha_a", "poll"), T0).unwrap();
    assert!(matches!(
        l.reserve_attempt(sale2, &no, T0),
        Err(LedgerError::OrderNoBlocked { .. })
    ));

    // Burned (outcome unknown) blocks forever.
    let b_sale = l
        .create_sale(Amount::new(100).unwrap(), None, None, T0)
        .unwrap();
    let b_no = OrderNo::new("S1-20261128-0002").unwrap();
    let b = l.reserve_attempt(b_sale, &b_no, T0).unwrap();
    l.apply(b.id, &Change::Creating, T0).unwrap();
    l.apply(
        b.id,
        &Change::Burned {
            reason: "timeout".into(),
        },
        T0,
    )
    .unwrap();
    assert!(matches!(
        l.reserve_attempt(b_sale, &b_no, T0 + 86_400_000),
        Err(LedgerError::OrderNoBlocked { .. })
    ));

    // Closed and expired free it (the FAQ allows reuse).
    for (i, end) in [Change::Closed, Change::Expired].into_iter().enumerate() {
        let order = format!("S1-20261128-01{i}");
        let c = pending_attempt(&l, &order, &format!("cod_c{i}"));
        l.apply(c.id, &end, T0).unwrap();
        let again = l
            .reserve_attempt(c.sale_id, &OrderNo::new(order).unwrap(), T0)
            .unwrap();
        assert_eq!(again.state, AttemptState::Reserved);
    }
}

#[test]
fn the_database_itself_refuses_a_second_blocking_row() {
    // Even SQL that bypasses reserve_attempt cannot create a duplicate.
    let (_d, l) = ledger();
    pending_attempt(&l, "DUP-1", "cod_dup");
    let other = l
        .create_sale(Amount::new(1).unwrap(), None, None, T0)
        .unwrap();
    let r = l.with_connection(|c| {
        c.execute(
            "INSERT INTO attempts (sale_id, order_no, amount, state, created_at, updated_at)
             VALUES (?1, 'DUP-1', 1, 'reserved', 0, 0)",
            [other],
        )
    });
    assert!(r.is_err());
}

#[test]
fn transitions_are_checked_and_idempotent() {
    let (_d, l) = ledger();
    let a = pending_attempt(&l, "T-1", "cod_t1");
    assert!(matches!(
        l.apply(a.id, &Change::Burned { reason: "x".into() }, T0),
        Err(LedgerError::InvalidTransition {
            from: AttemptState::Pending,
            to: AttemptState::Burned,
            ..
        })
    ));
    let before = journal_rows(&l);
    let first = l.apply(a.id, &captured("cha_t1", "poll"), T0).unwrap();
    assert!(first.changed());
    // The same payment learned again (webhook, recovery): recorded once.
    let second = l.apply(a.id, &captured("cha_t1", "webhook"), T0).unwrap();
    assert!(!second.changed());
    assert_eq!(journal_rows(&l), before + 1);
    let got = l.attempt(a.id).unwrap();
    assert_eq!(got.charge_id.as_deref(), Some("cha_t1"));
    assert_eq!(got.payment_method.as_deref(), Some("paypay"));
    assert!(matches!(
        l.apply(a.id, &Change::Closed, T0),
        Err(LedgerError::InvalidTransition { .. })
    ));
    // A charge id belongs to one attempt only.
    let b = pending_attempt(&l, "T-2", "cod_t2");
    assert!(l.apply(b.id, &captured("cha_t1", "poll"), T0).is_err());
}

#[test]
fn a_late_capture_after_expiry_is_still_recorded() {
    let (_d, l) = ledger();
    let a = pending_attempt(&l, "LATE-1", "cod_late");
    l.apply(a.id, &Change::Expired, T0).unwrap();
    let r = l
        .apply(a.id, &captured("cha_late", "reconcile"), T0)
        .unwrap();
    assert!(r.changed());
    assert_eq!(r.attempt().state, AttemptState::Captured);
}

#[test]
fn everything_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite3");
    let id = {
        let l = Ledger::open(&path).unwrap();
        let shift = l.open_shift("R1", "佐藤", T0).unwrap();
        let sale = l
            .create_sale(Amount::new(990).unwrap(), Some("ランチ"), Some(shift), T0)
            .unwrap();
        let a = l
            .reserve_attempt(sale, &OrderNo::new("RE-1").unwrap(), T0)
            .unwrap();
        l.apply(a.id, &Change::Creating, T0).unwrap();
        a.id
    };
    let l = Ledger::open(&path).unwrap();
    let unresolved = l.unresolved_attempts().unwrap();
    assert_eq!(unresolved.len(), 1);
    assert_eq!(unresolved[0].id, id);
    assert_eq!(unresolved[0].state, AttemptState::Creating);
    assert!(unresolved[0].shift_id.is_some(), "belongs to its shift");
    assert!(l.verify().unwrap().is_intact());
}

#[test]
fn order_numbers_are_sequential_per_prefix_and_day() {
    let (_d, l) = ledger();
    let p1 = OrderPrefix::new("S01R1").unwrap();
    let p2 = OrderPrefix::new("S01R2").unwrap();
    let a: Vec<String> = (0..3)
        .map(|_| l.next_order_no(&p1, "20261128").unwrap().to_string())
        .collect();
    assert_eq!(
        a,
        [
            "S01R1-20261128-0001",
            "S01R1-20261128-0002",
            "S01R1-20261128-0003"
        ]
    );
    assert_eq!(
        l.next_order_no(&p2, "20261128").unwrap().as_str(),
        "S01R2-20261128-0001"
    );
    assert_eq!(
        l.next_order_no(&p1, "20261129").unwrap().as_str(),
        "S01R1-20261129-0001"
    );
}

#[test]
fn webhook_events_are_deduplicated() {
    let (_d, l) = ledger();
    assert!(l
        .record_webhook_event("evt_1", "charge.succeeded", T0)
        .unwrap());
    for _ in 0..6 {
        assert!(!l
            .record_webhook_event("evt_1", "charge.succeeded", T0)
            .unwrap());
    }
}

#[test]
fn shift_totals_count_each_outcome_in_the_shift_it_was_rung_up_in() {
    let (_d, l) = ledger();
    let shift = l.open_shift("R1", "a", T0).unwrap();
    let mk = |order: &str, yen: i64, end: Option<Change>| {
        let sale = l
            .create_sale(Amount::new(yen).unwrap(), None, Some(shift), T0)
            .unwrap();
        let a = l
            .reserve_attempt(sale, &OrderNo::new(order).unwrap(), T0)
            .unwrap();
        l.apply(a.id, &Change::Creating, T0).unwrap();
        l.apply(a.id, &pending(&format!("cod_{order}")), T0)
            .unwrap();
        if let Some(c) = end {
            l.apply(a.id, &c, T0).unwrap();
        }
    };
    mk("X1", 1000, Some(captured("cha_x1", "poll")));
    mk("X2", 250, Some(captured("cha_x2", "webhook")));
    mk("X3", 400, Some(Change::Closed));
    mk("X4", 700, None);
    // Another shift's sale does not count.
    let other = l
        .create_sale(Amount::new(5).unwrap(), None, None, T0)
        .unwrap();
    l.reserve_attempt(other, &OrderNo::new("X5").unwrap(), T0)
        .unwrap();
    let t = l.shift_totals(shift).unwrap();
    assert_eq!(
        t.get(AttemptState::Captured),
        StateTotal {
            count: 2,
            amount: 1250
        }
    );
    assert_eq!(
        t.get(AttemptState::Closed),
        StateTotal {
            count: 1,
            amount: 400
        }
    );
    assert_eq!(
        t.get(AttemptState::Pending),
        StateTotal {
            count: 1,
            amount: 700
        }
    );
    assert_eq!(t.get(AttemptState::Reserved), StateTotal::default());
}

#[test]
fn one_open_shift_per_register() {
    let (_d, l) = ledger();
    let s = l.open_shift("R1", "a", T0).unwrap();
    assert!(l.open_shift("R1", "b", T0).is_err());
    assert!(l.open_shift("R2", "b", T0).is_ok());
    assert_eq!(l.current_shift("R1").unwrap(), Some(s));
}

// ----- tamper evidence -----

fn busy_ledger() -> (tempfile::TempDir, Ledger) {
    let (d, l) = ledger();
    for i in 0..5 {
        let a = pending_attempt(&l, &format!("J-{i}"), &format!("cod_j{i}"));
        l.apply(a.id, &captured(&format!("cha_j{i}"), "poll"), T0)
            .unwrap();
    }
    assert!(l.verify().unwrap().is_intact());
    (d, l)
}

/// Tampering that an attacker with the file could do: drop the triggers.
fn without_triggers(l: &Ledger, sql: &str) {
    l.with_connection(|c| {
        c.execute_batch(&format!(
            "DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete; {sql}"
        ))
        .unwrap()
    });
}

#[test]
fn the_journal_refuses_sql_edits() {
    let (_d, l) = busy_ledger();
    l.with_connection(|c| {
        assert!(c
            .execute("UPDATE journal SET payload = '{}' WHERE seq = 3", [])
            .is_err());
        assert!(c.execute("DELETE FROM journal WHERE seq = 3", []).is_err());
    });
}

#[test]
fn an_edited_row_is_found() {
    let (_d, l) = busy_ledger();
    without_triggers(
        &l,
        "UPDATE journal SET payload = replace(payload, '1280', '128') WHERE seq = 7;",
    );
    let r = l.verify().unwrap();
    assert_eq!(r.first_bad.unwrap().seq, 7);
}

#[test]
fn a_deleted_row_is_found() {
    let (_d, l) = busy_ledger();
    without_triggers(&l, "DELETE FROM journal WHERE seq = 4;");
    assert_eq!(l.verify().unwrap().first_bad.unwrap().seq, 4);
}

#[test]
fn truncating_the_newest_rows_is_found() {
    let (_d, l) = busy_ledger();
    let n = journal_rows(&l);
    without_triggers(&l, &format!("DELETE FROM journal WHERE seq >= {};", n - 1));
    let bad = l.verify().unwrap().first_bad.unwrap();
    assert_eq!(bad.seq, n - 1);
}

#[test]
fn a_state_edited_outside_the_journal_is_found() {
    // An attempt edited outside the journal is caught by the replay check.
    let (_d, l) = busy_ledger();
    l.with_connection(|c| {
        c.execute(
            "UPDATE attempts SET state = 'closed' WHERE order_no = 'J-2'",
            [],
        )
        .unwrap()
    });
    let bad = l.verify().unwrap().first_bad.unwrap();
    assert!(
        bad.reason.contains("journal says captured"),
        "{}",
        bad.reason
    );
    // The same finding from a separate read-only snapshot, while the main
    // connection stays open for payments.
    let path = _d.path().join("ledger.sqlite3");
    let from_file = Ledger::verify_file(&path, None).unwrap();
    assert_eq!(from_file.first_bad.unwrap().reason, bad.reason);
}

#[test]
fn verify_file_reads_an_intact_ledger_without_taking_the_writer() {
    let (d, l) = busy_ledger();
    let report = Ledger::verify_file(&d.path().join("ledger.sqlite3"), None).unwrap();
    assert!(report.is_intact());
    assert!(report.rows > 0);
    assert_eq!(report.rows, l.verify().unwrap().rows);
    // The main connection can still write.
    l.open_shift("R9", "after-verify", T0).unwrap();
}

#[test]
fn refunds_are_limited_to_the_paid_amount_and_journaled() {
    let (_d, l) = ledger();
    let a = pending_attempt(&l, "RF-1", "cod_rf1");
    let yen = |y| Amount::new(y).unwrap();
    l.open_shift("R1", "佐藤", T0).unwrap();
    assert!(
        l.request_refund(a.id, yen(1), None, None, "R1", T0)
            .is_err(),
        "not paid yet"
    );
    l.apply(a.id, &captured("cha_rf1", "poll"), T0).unwrap();
    let r1 = l
        .request_refund(a.id, yen(1000), Some("返品"), None, "R1", T0)
        .unwrap();
    assert_eq!(r1.status, RefundState::Requested);
    match l.request_refund(a.id, yen(281), None, None, "R1", T0) {
        Err(LedgerError::Invalid { field, allowed }) => {
            assert_eq!(field, "amount");
            assert!(allowed.contains("¥280"), "{allowed}");
        }
        other => panic!("{other:?}"),
    }
    // A refused refund gives the amount back.
    l.update_refund(r1.id, None, RefundState::Failed, T0)
        .unwrap();
    let r2 = l
        .request_refund(a.id, yen(1280), None, None, "R1", T0)
        .unwrap();
    let r2 = l
        .update_refund(r2.id, Some("ref_1"), RefundState::Pending, T0)
        .unwrap();
    assert_eq!(r2.refund_id.as_deref(), Some("ref_1"));
    l.update_refund(r2.id, None, RefundState::Refunded, T0)
        .unwrap();
    assert_eq!(l.refunds_of(a.id).unwrap().len(), 2);
    assert!(l.verify().unwrap().is_intact());
}

#[test]
fn a_sale_has_one_attempt_in_flight_and_none_once_paid() {
    let (_d, l) = ledger();
    let a = pending_attempt(&l, "S-1", "cod_s1");
    // Two racing retries: the second is refused while the first is live.
    match l.reserve_attempt(a.sale_id, &OrderNo::new("S-1b").unwrap(), T0) {
        Err(LedgerError::SaleBusy { order_no, .. }) => assert_eq!(order_no, "S-1"),
        other => panic!("{other:?}"),
    }
    // Not even raw SQL can put a second live attempt on the sale.
    let raw = l.with_connection(|c| {
        c.execute(
            "INSERT INTO attempts (sale_id, order_no, amount, state, created_at, updated_at)
             VALUES (?1, 'S-raw', 1280, 'creating', 0, 0)",
            [a.sale_id],
        )
    });
    assert!(raw.is_err());
    l.apply(a.id, &captured("cha_s1", "poll"), T0).unwrap();
    match l.reserve_attempt(a.sale_id, &OrderNo::new("S-1c").unwrap(), T0) {
        Err(LedgerError::SalePaid { order_no, .. }) => assert_eq!(order_no, "S-1"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_late_capture_is_recorded_even_after_its_order_no_was_reused() {
    let (_d, l) = ledger();
    let first = pending_attempt(&l, "L-1", "cod_l1");
    l.apply(first.id, &Change::Expired, T0).unwrap();
    // The FAQ allows the orderNo again after expiry: the sale is retried.
    let second = l
        .reserve_attempt(first.sale_id, &OrderNo::new("L-1").unwrap(), T0)
        .unwrap();
    l.apply(second.id, &Change::Creating, T0).unwrap();
    l.apply(second.id, &pending("cod_l1b"), T0).unwrap();
    // elepay then reports the first code paid after all: never refused.
    let late = l
        .apply(first.id, &captured("cha_l1", "webhook"), T0)
        .unwrap();
    assert_eq!(late.attempt().state, AttemptState::Captured);
    // A paid orderNo is still never sent again.
    l.apply(second.id, &Change::Closed, T0).unwrap();
    let other = l
        .create_sale(Amount::new(1).unwrap(), None, None, T0)
        .unwrap();
    assert!(matches!(
        l.reserve_attempt(other, &OrderNo::new("L-1").unwrap(), T0),
        Err(LedgerError::OrderNoBlocked { holder, .. }) if holder == first.id
    ));
    assert!(l.verify().unwrap().is_intact());
}

#[test]
fn start_sale_rings_up_and_reserves_in_one_step() {
    let (_d, l) = ledger();
    let prefix = OrderPrefix::new("R1").unwrap();
    // No sale outside a shift.
    assert!(matches!(
        l.start_sale(Amount::new(980).unwrap(), None, None, "R1", &prefix, "20261128", T0),
        Err(LedgerError::NoOpenShift { register }) if register == "R1"
    ));
    let shift = l.open_shift("R1", "佐藤", T0).unwrap();
    let a = l
        .start_sale(
            Amount::new(980).unwrap(),
            Some("coffee"),
            None,
            "R1",
            &prefix,
            "20261128",
            T0,
        )
        .unwrap();
    assert_eq!((a.state, a.amount), (AttemptState::Reserved, 980));
    let b = l
        .start_sale(
            Amount::new(120).unwrap(),
            None,
            None,
            "R1",
            &prefix,
            "20261128",
            T0,
        )
        .unwrap();
    assert_ne!(a.order_no, b.order_no);
    assert_ne!(a.sale_id, b.sale_id);
    assert_eq!((a.shift_id, b.shift_id), (Some(shift), Some(shift)));
    assert!(l.verify().unwrap().is_intact());
}

/// Each kind of edit behind the journal's back, and what verify says.
#[test]
fn verify_finds_every_table_edit_that_bypassed_the_journal() {
    let cases: &[(&str, &str)] = &[
        (
            "UPDATE attempts SET amount = 1 WHERE order_no = 'J-1'",
            "amount",
        ),
        (
            "UPDATE attempts SET order_no = 'J-9' WHERE order_no = 'J-1'",
            "order_no",
        ),
        (
            "UPDATE attempts SET code_url = 'https://evil.example/pay' WHERE order_no = 'J-1'",
            "code_url",
        ),
        (
            "UPDATE attempts SET code_id = 'cod_x' WHERE order_no = 'J-1'",
            "code_id",
        ),
        (
            "UPDATE attempts SET charge_id = 'cha_x' WHERE order_no = 'J-1'",
            "charge_id",
        ),
        (
            "UPDATE attempts SET payment_method = 'linepay' WHERE order_no = 'J-1'",
            "payment_method",
        ),
        (
            "DELETE FROM attempts WHERE order_no = 'J-4'",
            "row was deleted",
        ),
        (
            "INSERT INTO attempts (sale_id, order_no, amount, state, created_at, updated_at)
             VALUES (1, 'J-X', 5, 'closed', 0, 0)",
            "no journal rows",
        ),
        (
            "UPDATE sales SET amount = 1 WHERE id = 2",
            "sale 2 has amount",
        ),
        (
            "INSERT INTO sales (amount, created_at) VALUES (9, 0)",
            "has no journal row",
        ),
        (
            "UPDATE shift_totals SET amount = amount + 1",
            "running totals",
        ),
    ];
    for (sql, expect) in cases {
        let (_d, l) = busy_ledger();
        l.with_connection(|c| c.execute_batch(sql).unwrap());
        let bad = l
            .verify()
            .unwrap()
            .first_bad
            .unwrap_or_else(|| panic!("not caught: {sql}"));
        assert!(bad.reason.contains(expect), "{sql}: {}", bad.reason);
    }
}

#[test]
fn verify_finds_edited_and_deleted_refunds() {
    for (sql, expect) in [
        ("UPDATE refunds SET amount = 1", "refund 1 has amount"),
        ("UPDATE refunds SET status = 'failed'", "status"),
        ("DELETE FROM refunds", "row was deleted"),
        // A refund taken out of every report (issue 12 item 8).
        (
            "UPDATE refunds SET shift_id = NULL",
            "refund 1 has shift_id",
        ),
    ] {
        let (_d, l) = busy_ledger();
        let paid = l.attempts_by_order_no("J-0").unwrap().remove(0);
        l.open_shift("RF", "佐藤", T0).unwrap();
        let r = l
            .request_refund(
                paid.id,
                Amount::new(100).unwrap(),
                Some("x"),
                None,
                "RF",
                T0,
            )
            .unwrap();
        l.update_refund(r.id, Some("ref_1"), RefundState::Pending, T0)
            .unwrap();
        assert!(l.verify().unwrap().is_intact());
        l.with_connection(|c| c.execute_batch(sql).unwrap());
        let bad = l.verify().unwrap().first_bad.unwrap();
        assert!(bad.reason.contains(expect), "{sql}: {}", bad.reason);
    }
}

#[test]
fn a_second_writer_is_locked_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite3");
    let first = WriterLock::acquire(&db).unwrap();
    assert!(matches!(
        WriterLock::acquire(&db),
        Err(LedgerError::Locked { .. })
    ));
    drop(first);
    WriterLock::acquire(&db).unwrap();
}

#[test]
fn a_version_1_ledger_is_migrated_with_its_totals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.sqlite3");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(include_str!("../migrations/0001_init.sql"))
            .unwrap();
        c.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO shifts (id, register_id, cashier, opened_at) VALUES (1, 'R1', 'a', 0);
             INSERT INTO sales (id, shift_id, amount, created_at) VALUES (1, 1, 500, 0), (2, 1, 700, 0);
             INSERT INTO attempts (sale_id, order_no, amount, state, payment_method, created_at, updated_at)
             VALUES (1, 'V-1', 500, 'captured', 'paypay', 0, 0), (2, 'V-2', 700, 'expired', NULL, 0, 0);",
        )
        .unwrap();
    }
    let l = Ledger::open(&path).unwrap();
    let t = l.shift_totals(1).unwrap();
    assert_eq!(
        t.get(AttemptState::Captured),
        StateTotal {
            count: 1,
            amount: 500
        }
    );
    assert_eq!(
        t.get(AttemptState::Expired),
        StateTotal {
            count: 1,
            amount: 700
        }
    );
    assert_eq!(
        t.paid_by_wallet,
        vec![(
            "paypay".to_owned(),
            StateTotal {
                count: 1,
                amount: 500
            }
        )]
    );
    l.with_connection(|c| {
        let v: i64 = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    });
}

/// Issue 12 item 1: a ledger belongs to the mode that first opened it.
#[test]
fn a_ledger_belongs_to_one_mode() {
    let (d, l) = ledger();
    assert_eq!(l.mode().unwrap(), None);
    l.bind_mode("live").unwrap();
    l.bind_mode("live").unwrap();
    drop(l);
    let l = Ledger::open(&d.path().join("ledger.sqlite3")).unwrap();
    assert_eq!(l.mode().unwrap().as_deref(), Some("live"));
    match l.bind_mode("test") {
        Err(e @ LedgerError::WrongMode { .. }) => {
            let m = e.to_string();
            assert!(
                m.contains("holds live payments") && m.contains("test mode"),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        l.bind_mode("staging"),
        Err(LedgerError::Invalid { field: "mode", .. })
    ));
}

/// A journal row: seq, at, kind, sale, attempt, payload.
type JournalRow = (i64, i64, String, Option<i64>, Option<i64>, String);

/// Rewrites journal row `seq`'s payload with `edit` and recomputes the hash
/// chain from there on, as someone with the file (but not the key) can.
fn rewrite_and_rechain(l: &Ledger, seq: i64, edit: impl Fn(&str) -> String) {
    use sha2::{Digest, Sha256};
    l.with_connection(|c| {
        c.execute_batch("DROP TRIGGER journal_no_update;").unwrap();
        let rows: Vec<JournalRow> = c
            .prepare("SELECT seq, at, kind, sale_id, attempt_id, payload FROM journal WHERE seq >= ?1 ORDER BY seq")
            .unwrap()
            .query_map([seq], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut prev: String = c
            .query_row("SELECT prev_hash FROM journal WHERE seq = ?1", [seq], |r| r.get(0))
            .unwrap();
        for (s, at, kind, sale, attempt, payload) in rows {
            let payload = if s == seq { edit(&payload) } else { payload };
            let opt = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
            let mut h = Sha256::new();
            h.update(format!("{prev}\n{s}\n{at}\n{kind}\n{}\n{}\n", opt(sale), opt(attempt)));
            h.update(payload.as_bytes());
            let hash = hex::encode(h.finalize());
            c.execute(
                "UPDATE journal SET payload = ?1, prev_hash = ?2, hash = ?3 WHERE seq = ?4",
                rusqlite::params![payload, prev, hash, s],
            )
            .unwrap();
            c.execute("UPDATE journal_head SET seq = ?1, hash = ?2", rusqlite::params![s, hash])
                .unwrap();
            prev = hash;
        }
    });
}

/// Issue 12 item 8: an unkeyed chain can be recomputed after an edit; rows
/// signed with the register's journal key cannot be signed again without it.
#[test]
fn a_rechained_journal_is_caught_by_the_journal_key() {
    let (_d, l) = ledger();
    let key = l.use_chain_key(None).unwrap();
    assert_eq!(key.from, 1);
    let shift = l.open_shift("R1", "佐藤", T0).unwrap();
    let sale = l
        .create_sale(Amount::new(1280).unwrap(), None, Some(shift), T0)
        .unwrap();
    assert!(l.verify().unwrap().is_intact());
    // The sale's amount made smaller, in the table and in the journal, the
    // chain recomputed.
    let seq: i64 = l.with_connection(|c| {
        c.query_row(
            "SELECT seq FROM journal WHERE kind = 'sale.created'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    });
    rewrite_and_rechain(&l, seq, |p| p.replace("1280", "128"));
    l.with_connection(|c| {
        c.execute("UPDATE sales SET amount = 128 WHERE id = ?1", [sale])
            .unwrap()
    });
    // Without the key the chain and the replay agree with the edit...
    let unkeyed = Ledger::verify_file(&_d.path().join("ledger.sqlite3"), None).unwrap();
    assert!(unkeyed.is_intact(), "{unkeyed:?}");
    // ...with it, the rewritten row is caught.
    let bad = l.verify().unwrap().first_bad.unwrap();
    assert_eq!(bad.seq, seq);
    assert!(bad.reason.contains("signature"), "{}", bad.reason);
    let stored = ChainKey::from_secret(&key.to_secret()).unwrap();
    assert_eq!(stored, key);
    assert!(!format!("{key:?}").contains(&key.to_secret()[3..20]));
}
