//! Shifts, X/Z reports, the reviewable log and its CSV export, on a real
//! SQLite file.

#![allow(clippy::unwrap_used)]

use easyqr_ledger::*;
use elepay::{Amount, OrderNo};

/// 2026-11-28 00:00 UTC (09:00 in Japan).
const T0: i64 = 1_795_824_000_000;
const JST: i32 = 540;

fn ledger() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("ledger.sqlite3")).unwrap();
    (dir, l)
}

/// A sale in `shift` with one attempt taken to `pending`.
fn showing(l: &Ledger, shift: Option<i64>, order: &str, yen: i64, desc: Option<&str>) -> Attempt {
    let sale = l
        .create_sale(Amount::new(yen).unwrap(), desc, shift, T0)
        .unwrap();
    let a = l
        .reserve_attempt(sale, &OrderNo::new(order).unwrap(), T0)
        .unwrap();
    l.apply(a.id, &Change::Creating, T0).unwrap();
    let code = format!("cd_{order}");
    l.apply(
        a.id,
        &Change::Pending {
            code_url: format!("http://sim/pay/code/{code}"),
            code_id: code,
            expiry_time: T0 + 600_000,
            key_last4: "0001".into(),
        },
        T0,
    )
    .unwrap()
    .attempt()
    .clone()
}

fn pay(l: &Ledger, a: &Attempt, wallet: &str, at: i64) {
    l.apply(
        a.id,
        &Change::Captured {
            charge_id: Some(format!("ch_{}", a.order_no)),
            payment_method: Some(wallet.into()),
            paid_time: Some(at),
            source: "poll".into(),
        },
        at,
    )
    .unwrap();
}

fn paid(l: &Ledger, shift: i64, order: &str, yen: i64, wallet: &str) -> Attempt {
    let a = showing(l, Some(shift), order, yen, None);
    pay(l, &a, wallet, T0 + 50);
    a
}

/// A refund counted in `shift`, which must be its register's open one.
fn refund(l: &Ledger, a: &Attempt, yen: i64, shift: i64, to: RefundState) {
    let register = l.shift(shift).unwrap().register_id;
    let r = l
        .request_refund(
            a.id,
            Amount::new(yen).unwrap(),
            Some("返品"),
            None,
            &register,
            T0,
        )
        .unwrap();
    assert_eq!(r.shift_id, Some(shift));
    if to != RefundState::Requested {
        l.update_refund(r.id, Some(&format!("rf_{}", r.id)), to, T0)
            .unwrap();
    }
}

fn total(count: i64, amount: i64) -> StateTotal {
    StateTotal { count, amount }
}

#[test]
fn z_numbers_run_per_register_without_gaps_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite3");
    {
        let l = Ledger::open(&path).unwrap();
        for i in 0..2 {
            l.open_shift("R1", "佐藤", T0 + i).unwrap();
            let z = l.close_shift("R1", T0 + 10 + i).unwrap().z_number;
            assert_eq!(z, Some(i + 1));
        }
        l.open_shift("R2", "鈴木", T0).unwrap();
        assert_eq!(l.close_shift("R2", T0 + 5).unwrap().z_number, Some(1));
        // Left open across the restart.
        l.open_shift("R1", "佐藤", T0 + 20).unwrap();
    }
    let l = Ledger::open(&path).unwrap();
    let open = l.current_shift("R1").unwrap().unwrap();
    let closed = l.close_shift("R1", T0 + 30).unwrap();
    assert_eq!((closed.id, closed.z_number), (open, Some(3)));
    let zs: Vec<_> = l
        .shifts("R1", 10, None)
        .unwrap()
        .iter()
        .map(|s| s.z_number)
        .collect();
    assert_eq!(zs, [Some(3), Some(2), Some(1)], "newest first, no gaps");
    assert!(l.verify().unwrap().is_intact());
}

#[test]
fn shift_mistakes_get_errors_that_name_the_field() {
    let (_d, l) = ledger();
    match l.close_shift("R1", T0) {
        Err(LedgerError::Invalid { field, allowed }) => {
            assert_eq!(field, "shift");
            assert!(allowed.contains("R1 has none"), "{allowed}");
        }
        other => panic!("{other:?}"),
    }
    let s = l.open_shift("R1", "佐藤", T0).unwrap();
    match l.open_shift("R1", "鈴木", T0) {
        Err(LedgerError::Invalid { field, allowed }) => {
            assert_eq!(field, "shift");
            assert!(allowed.contains(&format!("shift {s} (佐藤)")), "{allowed}");
        }
        other => panic!("{other:?}"),
    }
    for (register, cashier, field) in [("R2", " ", "cashier"), ("", "a", "register")] {
        match l.open_shift(register, cashier, T0) {
            Err(LedgerError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_closed_shift_cannot_be_reopened_or_renumbered() {
    let (_d, l) = ledger();
    let id = l.open_shift("R1", "a", T0).unwrap();
    l.close_shift("R1", T0 + 1).unwrap();
    let reopen =
        l.with_connection(|c| c.execute("UPDATE shifts SET closed_at = NULL WHERE id = ?1", [id]));
    assert!(reopen.unwrap_err().to_string().contains("closed shift"));
    // Someone with raw access drops the guard and renumbers: verify sees it.
    l.with_connection(|c| {
        c.execute_batch("DROP TRIGGER shifts_closed_is_final; UPDATE shifts SET z_number = 7;")
    })
    .unwrap();
    let bad = l.verify().unwrap().first_bad.unwrap();
    assert!(
        bad.reason.contains(&format!("shift {id} has z_number = 7")),
        "{}",
        bad.reason
    );
}

#[test]
fn reports_count_outcomes_wallets_refunds_and_late_payments() {
    let (_d, l) = ledger();
    let s1 = l.open_shift("R1", "佐藤", T0).unwrap();
    let a = paid(&l, s1, "R1-0001", 1280, "paypay");
    paid(&l, s1, "R1-0002", 500, "linepay");
    paid(&l, s1, "R1-0003", 720, "paypay");
    let c = showing(&l, Some(s1), "R1-0004", 300, None);
    l.apply(c.id, &Change::Closed, T0).unwrap();
    let e = showing(&l, Some(s1), "R1-0005", 200, None);
    l.apply(e.id, &Change::Expired, T0).unwrap();
    let b = l
        .start_sale(
            Amount::new(100).unwrap(),
            None,
            None,
            "R1",
            &OrderPrefix::new("R1").unwrap(),
            "20261128",
            T0,
        )
        .unwrap();
    l.apply(
        b.id,
        &Change::Burned {
            reason: "timeout".into(),
        },
        T0,
    )
    .unwrap();
    let late = showing(&l, Some(s1), "R1-0007", 700, None);
    refund(&l, &a, 280, s1, RefundState::Refunded);
    refund(&l, &a, 100, s1, RefundState::Pending);
    refund(&l, &a, 50, s1, RefundState::Failed);

    let x = l.shift_report(s1, T0 + 100).unwrap();
    assert_eq!(x.kind(), "X");
    assert_eq!(x.paid, total(3, 2500));
    assert_eq!(x.cancelled, total(1, 300));
    assert_eq!(x.expired, total(1, 200));
    assert_eq!(x.burned, total(1, 100));
    assert_eq!(x.unresolved, total(1, 700));
    assert_eq!(
        x.paid_by_wallet,
        [
            ("linepay".into(), total(1, 500)),
            ("paypay".into(), total(2, 2000))
        ]
    );
    assert_eq!(x.refunds.refunded, total(1, 280));
    assert_eq!(x.refunds.in_progress, total(1, 100));
    assert_eq!(x.refunds.failed, total(1, 50));
    assert_eq!(
        x.net_sales,
        2500 - 280 - 100,
        "failed refunds are not deducted"
    );
    assert_eq!(x.first_order_no.as_deref(), Some("R1-0001"));
    assert_eq!(x.last_order_no.as_deref(), Some("R1-0007"));
    assert_eq!(x.late, total(0, 0));

    // Close with the last code still on screen; it is paid afterwards.
    l.close_shift("R1", T0 + 200).unwrap();
    let s2 = l.open_shift("R1", "鈴木", T0 + 300).unwrap();
    pay(&l, &late, "paypay", T0 + 400);
    // A refund of a shift-1 payment made in shift 2 counts in shift 2.
    refund(&l, &a, 10, s2, RefundState::Refunded);

    let z = l.shift_report(s1, T0 + 500).unwrap();
    assert_eq!(z.kind(), "Z");
    assert_eq!(z.shift.z_number, Some(1));
    // The Z keeps its figures as closed (issue 12 item 12)...
    assert_eq!(z.paid, total(3, 2500), "as closed");
    assert_eq!(z.unresolved, total(1, 700), "on screen at the close");
    assert_eq!(z.late, total(0, 0));
    assert_eq!(z.refunds.refunded, total(1, 280));
    // ...and shows the late payment, which stays in its shift, apart.
    let since = z.since_close.clone().expect("an addendum since the close");
    assert_eq!(
        since.paid,
        total(1, 700),
        "the late payment stays in its shift"
    );
    assert_eq!(since.late, total(1, 700));
    assert_eq!(since.unresolved, total(-1, -700));
    assert_eq!(since.net_sales, 700);
    assert_eq!(
        since.paid_by_wallet,
        vec![("paypay".to_owned(), total(1, 700))]
    );
    assert_eq!(
        since.refunds,
        RefundTotals::default(),
        "shift 2's refund is shift 2's"
    );
    let x2 = l.shift_report(s2, T0 + 500).unwrap();
    assert_eq!(x2.paid, total(0, 0));
    assert_eq!(x2.refunds.refunded, total(1, 10));
    assert_eq!(x2.net_sales, -10);
    // A negative total stays a number in the CSV (not defused as a formula).
    let mut csv = Vec::new();
    report_csv(&x2, JST, &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("net_sales_jpy,,-10\r\n"), "{csv}");

    let log = l
        .log(
            &LogFilter {
                order_no: Some("0007".into()),
                ..Default::default()
            },
            10,
            None,
        )
        .unwrap();
    assert!(log[0].late);
    // The sale's timeline, from the journal: rung up, reserved, creating,
    // pending, then paid after the close.
    let steps: Vec<String> = l
        .sale_timeline(late.sale_id)
        .unwrap()
        .iter()
        .map(|e| {
            let to = match &e.entry {
                JournalEntry::AttemptReserved(r) => r.to.as_str(),
                JournalEntry::AttemptChanged(c) => c.to.target().as_str(),
                _ => "",
            };
            format!("{} {to}", e.kind()).trim().to_owned()
        })
        .collect();
    assert_eq!(
        steps,
        [
            "sale.created",
            "attempt.reserved reserved",
            "attempt.changed creating",
            "attempt.changed pending",
            "attempt.changed captured"
        ]
    );
    let refunds = l
        .sale_timeline(a.sale_id)
        .unwrap()
        .iter()
        .filter(|e| e.kind().starts_with("refund"))
        .count();
    assert_eq!(refunds, 8, "4 refunds, each requested and answered");
    assert!(matches!(
        l.sale_timeline(9999),
        Err(LedgerError::NotFound { .. })
    ));
    let first = l
        .log(
            &LogFilter {
                order_no: Some("R1-0001".into()),
                ..Default::default()
            },
            10,
            None,
        )
        .unwrap();
    assert_eq!((first[0].refunded, first[0].refundable()), (390, 890));
    assert!(l.verify().unwrap().is_intact());

    // A late mark that is not true is found by verify.
    l.with_connection(|c| {
        c.execute(
            "INSERT INTO late_captures (attempt_id, shift_id, amount, captured_at) VALUES (?1, ?2, 1280, ?3)",
            rusqlite::params![a.id, s1, T0 + 50],
        )
    })
    .unwrap();
    let bad = l.verify().unwrap().first_bad.unwrap();
    assert!(
        bad.reason.contains("paid after its shift closed"),
        "{}",
        bad.reason
    );
}

#[test]
fn the_log_filters_combine_and_bad_filters_name_the_field() {
    let (_d, l) = ledger();
    let s = l.open_shift("R1", "a", T0).unwrap();
    paid(&l, s, "R1-20261128-0001", 1280, "paypay");
    paid(&l, s, "R1-20261128-0002", 500, "linepay");
    let e = showing(&l, Some(s), "R1-20261128-0003", 3000, None);
    l.apply(e.id, &Change::Expired, T0).unwrap();
    showing(&l, None, "R1-20261128-0004", 800, None);

    let orders = |f: LogFilter| -> Vec<String> {
        l.log(&f, 50, None)
            .unwrap()
            .into_iter()
            .map(|r| r.attempt.order_no)
            .collect()
    };
    assert_eq!(orders(LogFilter::default()).len(), 4);
    assert_eq!(
        orders(LogFilter {
            shift_id: Some(s),
            ..Default::default()
        }),
        ["R1-20261128-0003", "R1-20261128-0002", "R1-20261128-0001"],
        "newest first"
    );
    assert_eq!(
        orders(LogFilter {
            states: vec![AttemptState::Captured],
            min_amount: Some(600),
            ..Default::default()
        }),
        ["R1-20261128-0001"]
    );
    assert_eq!(
        orders(LogFilter {
            wallet: Some("linepay".into()),
            ..Default::default()
        }),
        ["R1-20261128-0002"]
    );
    assert_eq!(
        orders(LogFilter {
            order_no: Some("r1-20261128-000".into()),
            max_amount: Some(900),
            ..Default::default()
        }),
        ["R1-20261128-0004", "R1-20261128-0002"],
        "orderNo search is a case-blind substring"
    );
    assert!(orders(LogFilter {
        from: Some(T0 + 1),
        ..Default::default()
    })
    .is_empty());
    // Paging: the next page starts after the last id seen.
    let page1 = l.log(&LogFilter::default(), 3, None).unwrap();
    let page2 = l
        .log(&LogFilter::default(), 3, Some(page1[2].attempt.id))
        .unwrap();
    assert_eq!(page2.len(), 1);
    assert_eq!(page2[0].attempt.order_no, "R1-20261128-0001");

    for (f, field) in [
        (
            LogFilter {
                from: Some(T0),
                to: Some(T0 - 1),
                ..Default::default()
            },
            "to",
        ),
        (
            LogFilter {
                min_amount: Some(-1),
                ..Default::default()
            },
            "minAmount",
        ),
        (
            LogFilter {
                min_amount: Some(5),
                max_amount: Some(4),
                ..Default::default()
            },
            "maxAmount",
        ),
        (
            LogFilter {
                order_no: Some("R1' OR 1=1".into()),
                ..Default::default()
            },
            "orderNo",
        ),
        (
            LogFilter {
                wallet: Some(String::new()),
                ..Default::default()
            },
            "wallet",
        ),
    ] {
        match l.log(&f, 10, None) {
            Err(LedgerError::Invalid { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{f:?}: {other:?}"),
        }
    }
    // Unknown filter fields from the UI are refused, not ignored.
    let err = serde_json::from_str::<LogFilter>(r#"{"status":"paid"}"#).unwrap_err();
    assert!(err.to_string().contains("status"), "{err}");
}

#[test]
fn csv_exports_open_in_japanese_excel() {
    let (_d, l) = ledger();
    let s = l.open_shift("R1", "佐藤", T0).unwrap();
    let a = showing(
        &l,
        Some(s),
        "R1-0001",
        1280,
        Some("ランチ, 大盛り \"特製\""),
    );
    pay(&l, &a, "paypay", T0 + 65_000);
    showing(
        &l,
        Some(s),
        "R1-0002",
        500,
        Some("=HYPERLINK(\"http://x\")"),
    );

    let mut out = Vec::new();
    let n = l
        .export_log_csv(
            &LogFilter {
                shift_id: Some(s),
                ..Default::default()
            },
            JST,
            &mut out,
        )
        .unwrap();
    assert_eq!(n, 2);
    assert!(
        out.starts_with("\u{feff}".as_bytes()),
        "UTF-8 BOM for Excel"
    );
    let text = String::from_utf8(out[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines.len(), 4, "header, two rows, final CRLF: {text:?}");
    assert_eq!(lines[0], LOG_COLUMNS.join(","));
    assert!(lines[1].starts_with(&format!("{},{},{s},R1-0001,captured,1280,paypay,0,,2026-11-28 09:00:00,2026-11-28 09:01:05,ch_R1-0001,", a.id, a.sale_id)), "{}", lines[1]);
    // A sale recorded without its rate: its whole amount under "rate not
    // recorded", the per-rate cells empty.
    assert!(
        lines[1].ends_with(r#","ランチ, 大盛り ""特製""",,,,,,1280"#),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains(r#","'=HYPERLINK(""http://x"")","#),
        "formula defused: {}",
        lines[2]
    );

    l.close_shift("R1", T0 + 3_600_000).unwrap();
    let mut z = Vec::new();
    report_csv(&l.shift_report(s, T0 + 3_600_000).unwrap(), JST, &mut z).unwrap();
    let z = String::from_utf8(z).unwrap();
    assert!(z.starts_with('\u{feff}'));
    for want in [
        "item,value,amount_jpy\r\n",
        "report,Z,\r\n",
        "z_number,1,\r\n",
        "cashier,佐藤,\r\n",
        "closed_at,2026-11-28 10:00:00,\r\n",
        "paid,1,1280\r\n",
        "unresolved,1,500\r\n",
        "paid_by_wallet:paypay,1,1280\r\n",
        "net_sales_jpy,,1280\r\n",
        "sales_rate_not_recorded_jpy,,1280\r\n",
        "sales_10_jpy,,0\r\n",
        "sales_tax_10_jpy,,0\r\n",
        "gross_sales_jpy,,1280\r\n",
        "customers,1,\r\n",
        "average_sale_jpy,,1280\r\n",
    ] {
        assert!(z.contains(want), "{want:?} missing from {z}");
    }
}

#[test]
fn local_times_are_wall_clock_at_the_offset() {
    assert_eq!(local_time(T0, JST), "2026-11-28 09:00:00");
    assert_eq!(local_time(T0 - 1, 0), "2026-11-27 23:59:59");
    assert_eq!(local_time(T0 + 15 * 3_600_000, JST), "2026-11-29 00:00:00");
}

#[test]
fn local_times_parse_back_and_bad_ones_name_the_field() {
    assert_eq!(
        parse_local_time("from", "2026-11-28", JST).unwrap(),
        T0 - 9 * 3_600_000
    );
    assert_eq!(
        parse_local_time("from", "2026-11-28 09:00", JST).unwrap(),
        T0
    );
    assert_eq!(
        parse_local_time("to", "2000-02-29T23:59", 0).unwrap(),
        951_868_740_000
    );
    for bad in [
        "2026-02-30",
        "2026-13-01",
        "28/11/2026",
        "2026-11-28 24:00",
        "2026-11-28 9",
        "",
        "2026-1-x",
    ] {
        match parse_local_time("to", bad, JST) {
            Err(LedgerError::Invalid { field, allowed }) => {
                assert_eq!(field, "to");
                assert!(allowed.contains("YYYY-MM-DD"), "{allowed}");
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
}

#[test]
fn a_refund_elepay_has_can_never_be_marked_failed() {
    let (_d, l) = ledger();
    let s = l.open_shift("R1", "a", T0).unwrap();
    let a = paid(&l, s, "R1-0001", 1280, "paypay");
    let r = l
        .request_refund(a.id, Amount::new(500).unwrap(), None, None, "R1", T0)
        .unwrap();
    l.update_refund(r.id, Some("rf_1"), RefundState::Pending, T0)
        .unwrap();
    for to in [RefundState::Failed, RefundState::Requested] {
        match l.update_refund(r.id, None, to, T0) {
            Err(LedgerError::Invalid { field, .. }) => assert_eq!(field, "status"),
            other => panic!("{to:?}: {other:?}"),
        }
    }
    l.update_refund(r.id, None, RefundState::Refunded, T0)
        .unwrap();
    assert!(
        l.update_refund(r.id, None, RefundState::Pending, T0)
            .is_err(),
        "refunded is final"
    );
    // A request nobody answered may fail, and elepay's later word still wins.
    let q = l
        .request_refund(a.id, Amount::new(100).unwrap(), None, None, "R1", T0)
        .unwrap();
    l.update_refund(q.id, None, RefundState::Failed, T0)
        .unwrap();
    l.update_refund(q.id, Some("rf_2"), RefundState::Refunded, T0)
        .unwrap();
    assert!(l.verify().unwrap().is_intact());
}

#[test]
fn a_clock_set_back_after_a_close_raises_no_alarm_but_a_deleted_late_mark_does() {
    let (_d, l) = ledger();
    let s = l.open_shift("R1", "a", T0).unwrap();
    let a = showing(&l, Some(s), "R1-20261128-0001", 700, None);
    l.close_shift("R1", T0 + 10_000).unwrap();
    // The register's clock was set back a minute after the close; the
    // payment still came after it, and is late.
    pay(&l, &a, "paypay", T0 + 10_000 - 60_000);
    let report = l.verify().unwrap();
    assert!(report.is_intact(), "{:?}", report.first_bad);
    let z = l.shift_report(s, T0 + 20_000).unwrap();
    assert_eq!(z.since_close.unwrap().late, total(1, 700));

    // Removing the late mark behind the journal's back is an edit.
    l.with_connection(|c| c.execute("DELETE FROM late_captures", []))
        .unwrap();
    let bad = l.verify().unwrap().first_bad.unwrap();
    assert!(
        bad.reason.contains("after its shift closed"),
        "{}",
        bad.reason
    );
}

/// Issue 12 item 2: sales an older ledger stored with no shift are in no
/// X/Z report, so they have a report of their own.
#[test]
fn sales_stored_outside_any_shift_have_their_own_report() {
    let (_d, l) = ledger();
    assert!(l.outside_shifts(T0).unwrap().is_empty());
    let a = showing(&l, None, "R1-0001", 1280, None);
    pay(&l, &a, "paypay", T0 + 10);
    showing(&l, None, "R1-0002", 300, None);
    let s = l.open_shift("R1", "佐藤", T0).unwrap();
    paid(&l, s, "R1-0003", 500, "linepay");

    let out = l.outside_shifts(T0 + 100).unwrap();
    assert!(!out.is_empty());
    assert_eq!(
        (out.paid.count, out.paid.amount, out.net_sales),
        (1, 1280, 1280)
    );
    assert_eq!(
        out.paid_by_wallet,
        vec![(
            "paypay".to_owned(),
            StateTotal {
                count: 1,
                amount: 1280
            }
        )]
    );
    assert!(out.by_state.contains(&(
        AttemptState::Pending,
        StateTotal {
            count: 1,
            amount: 300
        }
    )));
    assert_eq!((out.first_at, out.last_at), (Some(T0), Some(T0)));
    // ...and the shift's report counts only its own.
    assert_eq!(l.shift_report(s, T0 + 100).unwrap().paid.amount, 500);
}

/// Issue 12 item 8: every Z carries the journal head at its close, and a
/// ledger cut back to an older copy (newest rows gone, tables put back, a
/// chain still valid) or rewritten after the close no longer reaches it.
#[test]
fn a_history_cut_short_or_rewritten_after_a_z_misses_its_printed_head() {
    let (d, l) = ledger();
    let path = d.path().join("ledger.sqlite3");
    let s1 = l.open_shift("R1", "佐藤", T0).unwrap();
    paid(&l, s1, "R1-0001", 1280, "paypay");
    let z1 = l.close_shift("R1", T0 + 10).unwrap().journal_head.unwrap();
    assert_eq!(z1.printed.len(), z1.rows.to_string().len() + 1 + 16);
    assert_eq!(l.check_printed_head(&z1.printed).unwrap(), None);
    // The copy someone keeps, then a second shift.
    let copy = d.path().join("copy.sqlite3");
    l.with_connection(|c| {
        c.execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
            .unwrap()
    });
    let s2 = l.open_shift("R1", "鈴木", T0 + 20).unwrap();
    paid(&l, s2, "R1-0002", 500, "linepay");
    let z2 = l.close_shift("R1", T0 + 30).unwrap();
    let head2 = z2.journal_head.clone().unwrap();
    let mut csv = Vec::new();
    report_csv(&l.shift_report(z2.id, T0 + 40).unwrap(), JST, &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.contains(&format!("journal_head,{},", head2.printed)),
        "{csv}"
    );
    assert_eq!(l.check_recorded_heads().unwrap(), None);
    drop(l);

    // The second shift's rows are cut off by putting the copy back.
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
    std::fs::copy(&copy, &path).unwrap();
    let l = Ledger::open(&path).unwrap();
    assert!(
        l.verify().unwrap().is_intact(),
        "the chain alone cannot tell"
    );
    let cut = l.check_printed_head(&head2.printed).unwrap().unwrap();
    assert!(cut.contains("newest rows were removed"), "{cut}");
    let recorded = l.check_recorded_heads().unwrap().unwrap();
    assert!(recorded.contains("newest rows were removed"), "{recorded}");
    assert_eq!(l.check_printed_head(&z1.printed).unwrap(), None);

    // ...and a different history grown to the same length is caught too.
    let s2b = l.open_shift("R1", "鈴木", T0 + 20).unwrap();
    paid(&l, s2b, "R1-0002", 50, "linepay");
    l.close_shift("R1", T0 + 30).unwrap();
    let rewritten = l.check_printed_head(&head2.printed).unwrap().unwrap();
    assert!(rewritten.contains("history was rewritten"), "{rewritten}");
    assert!(matches!(
        l.check_printed_head("12x"),
        Err(LedgerError::Invalid { field: "head", .. })
    ));
}

/// Issue 12 item 12: a long log export reads page by page and writes with
/// the ledger free, so payments are recorded while it runs. The writer here
/// uses the ledger on every write: the old export, holding the ledger for
/// its whole length, deadlocked.
#[test]
fn a_long_log_export_leaves_the_ledger_free_between_pages() {
    struct Probe {
        ledger: std::sync::Arc<Ledger>,
        out: Vec<u8>,
        used: usize,
    }
    impl std::io::Write for Probe {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.ledger.mode().unwrap();
            self.used += 1;
            self.out.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let (_d, l) = ledger();
    let l = std::sync::Arc::new(l);
    let s = l.open_shift("R1", "佐藤", T0).unwrap();
    l.with_connection(|c| {
        let tx = c.unchecked_transaction().unwrap();
        for i in 0..2500 {
            tx.execute(
                "INSERT INTO sales (shift_id, amount, created_at) VALUES (?1, 100, ?2)",
                rusqlite::params![s, T0 + i],
            )
            .unwrap();
            tx.execute(
                "INSERT INTO attempts (sale_id, order_no, amount, state, created_at, updated_at)
                 VALUES (last_insert_rowid(), ?1, 100, 'reserved', ?2, ?2)",
                rusqlite::params![format!("R1-{i:05}"), T0 + i],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let ledger = l.clone();
    std::thread::spawn(move || {
        let mut probe = Probe {
            ledger: ledger.clone(),
            out: Vec::new(),
            used: 0,
        };
        let n = ledger
            .export_log_csv(&LogFilter::default(), JST, &mut probe)
            .unwrap();
        tx.send((n, probe.used, probe.out)).unwrap();
    });
    // A deadlock never answers; a working export answers at once.
    let (n, used, out) = rx
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("the export held the ledger while writing (deadlock)");
    assert_eq!(n, 2500);
    assert!(used > 1, "written in several pieces");
    let text = String::from_utf8(out[3..].to_vec()).unwrap();
    assert_eq!(text.lines().count(), 2501);
    assert!(text.lines().nth(1).unwrap().contains("R1-00000"));
    assert!(text.lines().last().unwrap().contains("R1-02499"));
}

/// The log's refund figures agree with the sale's history and with the X
/// report: a refund elepay has not confirmed is shown as in progress (and
/// already counted, as in net sales), and a sale refunded in part reads as
/// such (一部返金), in full as 返金済み.
#[test]
fn the_log_says_partly_refunded_and_which_refunds_are_still_in_progress() {
    let (_d, l) = ledger();
    let s1 = l.open_shift("R1", "佐藤", T0).unwrap();
    let a = paid(&l, s1, "R1-0001", 1280, "paypay");
    let b = paid(&l, s1, "R1-0002", 500, "paypay");
    let c = paid(&l, s1, "R1-0003", 300, "paypay");
    refund(&l, &a, 280, s1, RefundState::Requested);
    refund(&l, &b, 500, s1, RefundState::Refunded);
    refund(&l, &c, 300, s1, RefundState::Failed);
    let row = |order: &str| {
        l.log(
            &LogFilter {
                order_no: Some(order.into()),
                ..Default::default()
            },
            1,
            None,
        )
        .unwrap()
        .remove(0)
    };
    let a_row = row("R1-0001");
    assert_eq!(
        (
            a_row.refunded,
            a_row.refund_in_progress,
            a_row.refund_extent
        ),
        (280, 280, Some(RefundExtent::Part))
    );
    let json = serde_json::to_value(&a_row).unwrap();
    assert_eq!(
        (&json["refundExtent"], &json["refundInProgress"]),
        (&serde_json::json!("part"), &serde_json::json!(280))
    );
    let x = l.shift_report(s1, T0 + 100).unwrap();
    assert_eq!(
        x.refunds.in_progress,
        total(1, 280),
        "the same ¥280, in progress"
    );

    // elepay confirms it: no longer in progress, still partly refunded.
    let id = l.refunds_of(a.id).unwrap()[0].id;
    l.update_refund(id, Some("rf_a"), RefundState::Refunded, T0)
        .unwrap();
    let a_row = row("R1-0001");
    assert_eq!(
        (
            a_row.refunded,
            a_row.refund_in_progress,
            a_row.refund_extent
        ),
        (280, 0, Some(RefundExtent::Part))
    );
    let b_row = row("R1-0002");
    assert_eq!(
        (
            b_row.refunded,
            b_row.refund_in_progress,
            b_row.refund_extent
        ),
        (500, 0, Some(RefundExtent::Full))
    );
    // A failed refund gave nothing back.
    let c_row = row("R1-0003");
    assert_eq!((c_row.refunded, c_row.refund_extent), (0, None));
}

/// The Transactions tab sends the days as typed (yyyy/mm/dd); the ledger
/// reads them as the store's days: a day alone is the whole day, the last
/// day included; a bad one names its field.
#[test]
fn store_days_typed_yyyy_mm_dd_cover_whole_days_and_bad_ones_name_the_field() {
    let typed = |from: Option<&str>, to: Option<&str>| LogFilter {
        from_day: from.map(str::to_owned),
        to_day: to.map(str::to_owned),
        ..Default::default()
    };
    // 2026/11/28 in Japan starts at T0 - 9 h.
    let day = T0 - 9 * 3_600_000;
    let f = typed(Some("2026/11/28"), Some("2026/11/28"))
        .with_store_days(JST)
        .unwrap();
    assert_eq!((f.from, f.to), (Some(day), Some(day + 86_400_000)));
    assert_eq!((f.from_day, f.to_day), (None, None));
    let f = typed(Some(" 2026-11-28 09:00 "), Some("2026/11/28 09:30"))
        .with_store_days(JST)
        .unwrap();
    assert_eq!((f.from, f.to), (Some(T0), Some(T0 + 31 * 60_000)));
    assert_eq!(
        typed(Some(""), None).with_store_days(JST).unwrap().from,
        None
    );
    for (from, to, field) in [
        (Some("2026/13/01"), None, "fromDay"),
        (None, Some("11/28/2026"), "toDay"),
        (None, Some("2026/02/30"), "toDay"),
    ] {
        match typed(from, to).with_store_days(JST) {
            Err(LedgerError::Invalid { field: f, allowed }) => {
                assert_eq!(f, field);
                assert!(allowed.contains("YYYY/MM/DD"), "{allowed}");
            }
            other => panic!("{from:?} {to:?}: {other:?}"),
        }
    }
    // Days never reach the query unread.
    let (_d, l) = ledger();
    assert!(matches!(
        l.log(&typed(Some("2026/11/28"), None), 10, None),
        Err(LedgerError::Invalid {
            field: "fromDay",
            ..
        })
    ));
}
