//! Refunds against the real simulator: sent once, followed until refunded,
//! limited to what is left, and never sent twice when an answer is lost.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use easyqr_engine::{EngineError, ManualClock};
use easyqr_ledger::{Attempt, AttemptState, LedgerError, RefundState};
use easyqr_test_harness::world::*;
use elepay_sim::FaultKind;

async fn paid(w: &World, yen: i64) -> Attempt {
    let c = w.engine.charge(amount(yen), None, None).await.unwrap();
    w.control
        .pay(c.attempt.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    w.wait_state(c.attempt.id, AttemptState::Captured).await
}

async fn wait_refund(w: &World, id: i64, status: RefundState) {
    for _ in 0..500 {
        if w.ledger.refund(id).unwrap().status == status {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "refund {id} never became {status:?}: {:?}",
        w.ledger.refund(id).unwrap()
    );
}

/// Refunds count in the shift they are made in (the world opens one).
fn open_shift(w: &World) -> i64 {
    w.shift()
}

async fn sim_refunds(w: &World, charge: &str) -> Vec<elepay::RefundDto> {
    client_for(&w.sim)
        .list_refunds(charge)
        .await
        .unwrap()
        .refunds
}

#[tokio::test]
async fn a_refund_is_followed_until_refunded_and_counts_in_the_shift_it_was_made_in() {
    let w = world().await;
    let first = w.shift();
    let a = paid(&w, 1280).await;
    let second = w.next_shift("鈴木");

    let r = w
        .engine
        .refund(a.id, amount(1280), Some("返品"), None)
        .await
        .unwrap();
    assert_eq!(
        r.status,
        RefundState::Pending,
        "elepay completes refunds later"
    );
    assert!(r.refund_id.is_some());
    assert_eq!(r.shift_id, Some(second));
    // elepay finishes it; the watcher notices.
    w.control.advance_clock(3_000).unwrap();
    wait_refund(&w, r.id, RefundState::Refunded).await;

    let z = w.ledger.shift_report(first, w.engine.now_ms()).unwrap();
    assert_eq!(
        (z.paid.amount, z.refunds.refunded.amount, z.net_sales),
        (1280, 0, 1280)
    );
    let x = w.ledger.shift_report(second, w.engine.now_ms()).unwrap();
    assert_eq!(
        (
            x.refunds.refunded.count,
            x.refunds.refunded.amount,
            x.net_sales
        ),
        (1, 1280, -1280)
    );
    let remote = sim_refunds(&w, a.charge_id.as_deref().unwrap()).await;
    assert_eq!(remote.len(), 1);
    assert_eq!(remote[0].reason.as_deref(), Some("返品"));
    assert!(w.ledger.verify().unwrap().is_intact());
}

#[tokio::test]
async fn partial_refunds_stop_at_the_remainder_before_anything_is_sent() {
    let w = world().await;
    open_shift(&w);
    let a = paid(&w, 1280).await;
    w.engine
        .refund(a.id, amount(1000), None, None)
        .await
        .unwrap();
    match w.engine.refund(a.id, amount(300), None, None).await {
        Err(EngineError::Ledger(LedgerError::Invalid { field, allowed })) => {
            assert_eq!(field, "amount");
            assert!(allowed.contains("¥280"), "{allowed}");
        }
        other => panic!("{other:?}"),
    }
    let r = w
        .engine
        .refund(a.id, amount(280), None, None)
        .await
        .unwrap();
    assert_eq!(r.amount, 280);
    assert_eq!(
        sim_refunds(&w, a.charge_id.as_deref().unwrap()).await.len(),
        2
    );
    // An unpaid code cannot be refunded.
    let c = w.engine.charge(amount(500), None, None).await.unwrap();
    match w.engine.refund(c.attempt.id, amount(500), None, None).await {
        Err(EngineError::Ledger(LedgerError::Invalid { field, .. })) => {
            assert_eq!(field, "attempt")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_lost_answer_is_looked_up_never_sent_twice() {
    let w = world().await;
    open_shift(&w);
    let a = paid(&w, 1280).await;
    let charge = a.charge_id.clone().unwrap();
    // elepay makes the refund, the answer never arrives.
    w.fault("createRefund", FaultKind::DropAfterCommit, 1);
    let refund = match w.engine.refund(a.id, amount(1280), None, None).await {
        Err(EngineError::RefundUnknown { refund, .. }) => refund,
        other => panic!("{other:?}"),
    };
    assert_eq!(refund.status, RefundState::Requested);
    // Found by our id in its metadata, then followed to the end.
    wait_refund(&w, refund.id, RefundState::Pending).await;
    w.control.advance_clock(3_000).unwrap();
    wait_refund(&w, refund.id, RefundState::Refunded).await;
    assert_eq!(sim_refunds(&w, &charge).await.len(), 1, "sent once");
    // Nothing left to refund: refused locally.
    assert!(w.engine.refund(a.id, amount(1), None, None).await.is_err());
    assert_eq!(sim_refunds(&w, &charge).await.len(), 1);
}

#[tokio::test]
async fn a_refund_elepay_refuses_is_recorded_as_failed_and_frees_the_amount() {
    let w = world().await;
    open_shift(&w);
    let a = paid(&w, 1280).await;
    let charge = a.charge_id.clone().unwrap();
    // Refunded in the elepay dashboard, behind the register's back.
    w.control.admin_refund(&charge, 1280).unwrap();
    match w.engine.refund(a.id, amount(1280), None, None).await {
        Err(EngineError::RefundRefused { code, .. }) => assert_eq!(code, "M006000"),
        other => panic!("{other:?}"),
    }
    let local = w.ledger.refunds_of(a.id).unwrap();
    assert_eq!(local.len(), 1);
    assert_eq!(local[0].status, RefundState::Failed);
    assert!(w.ledger.verify().unwrap().is_intact());
}

#[tokio::test]
async fn a_restart_follows_refunds_left_unfinished() {
    let w = world().await;
    open_shift(&w);
    let a = paid(&w, 1280).await;
    let charge = a.charge_id.clone().unwrap();
    let now = w.engine.now_ms();
    // Left by a run that crashed: one refund sent and pending at elepay, one
    // recorded as requested whose request never reached elepay.
    let sent = w
        .ledger
        .request_refund(a.id, amount(500), None, None, "R1", now)
        .unwrap();
    let dto = client_for(&w.sim)
        .create_refund(
            &charge,
            &elepay::RefundReq {
                amount: amount(500),
                currency: None,
                metadata: Some([("easyqrRefund".to_owned(), sent.id.to_string())].into()),
                reason: None,
            },
        )
        .await
        .unwrap();
    w.ledger
        .update_refund(sent.id, Some(&dto.id), RefundState::Pending, now)
        .unwrap();
    // Asked for six minutes ago and still unknown to elepay: elepay may
    // still commit it, so it is never given up on a timer.
    let lost = w
        .ledger
        .request_refund(a.id, amount(100), None, None, "R1", now - 6 * 60_000)
        .unwrap();
    // Asked for just now: elepay may still be working on it, so it stays
    // "being checked" (and its amount stays reserved).
    let recent = w
        .ledger
        .request_refund(a.id, amount(50), None, None, "R1", now)
        .unwrap();

    assert_eq!(w.engine.resume_refunds().unwrap(), 3);
    tokio::time::sleep(Duration::from_millis(200)).await;
    for r in [&lost, &recent] {
        assert_eq!(
            w.ledger.refund(r.id).unwrap().status,
            RefundState::Requested
        );
    }
    // And a new refund of that payment waits for it.
    match w.engine.refund(a.id, amount(10), None, None).await {
        Err(EngineError::RefundUnknown { reason, .. }) => {
            assert!(reason.contains("still being checked"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    w.control.advance_clock(3_000).unwrap();
    wait_refund(&w, sent.id, RefundState::Refunded).await;
    assert_eq!(sim_refunds(&w, &charge).await.len(), 1, "nothing re-sent");
}

#[tokio::test]
async fn no_refund_without_an_open_shift() {
    let w = world().await;
    let a = paid(&w, 1280).await;
    w.ledger.close_shift("R1", w.engine.now_ms()).unwrap();
    match w.engine.refund(a.id, amount(1280), None, None).await {
        Err(e @ EngineError::Ledger(LedgerError::NoOpenShift { .. })) => {
            assert_eq!(e.field(), Some("shift"));
            assert!(e.to_string().contains("open one first"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // Nothing recorded, nothing sent.
    assert!(w.ledger.refunds_of(a.id).unwrap().is_empty());
    let charge = a.charge_id.clone().unwrap();
    assert!(sim_refunds(&w, &charge).await.is_empty());
    // Once a shift is open, the same refund goes through and counts in it.
    let shift = w
        .ledger
        .open_shift("R1", "鈴木", w.engine.now_ms())
        .unwrap();
    let r = w
        .engine
        .refund(a.id, amount(1280), None, None)
        .await
        .unwrap();
    assert_eq!(r.shift_id, Some(shift));
    assert_eq!(sim_refunds(&w, &charge).await.len(), 1);
}

/// Issue 12 item 10: a refund whose answer was lost and that elepay commits
/// late is never freed on a local timer, so it is never paid twice.
#[tokio::test]
async fn a_refund_elepay_commits_late_is_never_freed_for_a_second_refund() {
    let w = world().await;
    open_shift(&w);
    let a = paid(&w, 1280).await;
    let charge = a.charge_id.clone().unwrap();
    // elepay takes the request, the answer is lost, and the refund only
    // appears ten minutes later.
    let mut f = elepay_sim::FaultSpec::new("createRefund", FaultKind::CommitLater);
    f.delay_ms = 10 * 60_000;
    w.control.add_fault(f).unwrap();
    let lost = match w.engine.refund(a.id, amount(500), None, None).await {
        Err(EngineError::RefundUnknown { refund, .. }) => refund,
        other => panic!("{other:?}"),
    };
    // Six minutes later (the register's clock), elepay still lists nothing.
    let clock = Arc::new(ManualClock::new(w.engine.now_ms() + 6 * 60_000));
    let later = w.restarted_with_clock(clock.clone());
    w.control.advance_clock(6 * 60_000).unwrap();
    match later.refund(a.id, amount(500), None, None).await {
        Err(EngineError::RefundUnknown { reason, .. }) => {
            assert!(reason.contains("still being checked"), "{reason}")
        }
        other => panic!("a second refund was let through: {other:?}"),
    }
    let row = w.ledger.refunds_of(a.id).unwrap();
    assert_eq!(row.len(), 1);
    assert_eq!(row[0].status, RefundState::Requested);
    // The screens: nothing refundable while its fate is unknown.
    let log = w.ledger.log(&Default::default(), 10, None).unwrap();
    let mine = log.iter().find(|r| r.attempt.id == a.id).unwrap();
    assert_eq!((mine.refundable(), mine.refund_unknown), (0, true));
    // elepay commits it; the watcher finds it and follows it to the end.
    w.control.advance_clock(4 * 60_000).unwrap();
    wait_refund(&w, lost.id, RefundState::Pending).await;
    w.control.advance_clock(3_000).unwrap();
    wait_refund(&w, lost.id, RefundState::Refunded).await;
    let remote = sim_refunds(&w, &charge).await;
    assert_eq!(remote.iter().map(|r| r.amount).collect::<Vec<_>>(), [500]);
}

/// ...and one elepay's listed refunds leave no room for can never exist.
#[tokio::test]
async fn an_unlisted_refund_that_cannot_fit_the_charge_is_recorded_not_made() {
    let w = world().await;
    open_shift(&w);
    let a = paid(&w, 1280).await;
    let charge = a.charge_id.clone().unwrap();
    let now = w.engine.now_ms();
    // Left by a crash before the request left; then the whole payment was
    // refunded in the elepay dashboard.
    let lost = w
        .ledger
        .request_refund(a.id, amount(300), None, None, "R1", now)
        .unwrap();
    w.control.admin_refund(&charge, 1280).unwrap();
    w.engine.resume_refunds().unwrap();
    wait_refund(&w, lost.id, RefundState::Failed).await;
}

/// Issue 12 item 11: a payment recorded without its charge id (a code read
/// that named none) is still refundable, and reconciliation stores the id.
#[tokio::test]
async fn a_payment_recorded_without_its_charge_id_can_be_refunded() {
    let w = world().await;
    let shift = open_shift(&w);
    w.fault("retrieveCode", FaultKind::OmitCharge, 1_000);
    let first = paid(&w, 1280).await;
    let second = paid(&w, 760).await;
    assert_eq!(
        (first.charge_id.as_deref(), second.charge_id.as_deref()),
        (None, None)
    );
    w.control.clear_faults();

    let r = w
        .engine
        .refund(first.id, amount(1280), None, None)
        .await
        .unwrap();
    assert_eq!(r.status, RefundState::Pending);
    let stored = w.ledger.attempt(first.id).unwrap().charge_id.unwrap();
    assert_eq!(sim_refunds(&w, &stored).await.len(), 1);

    let rec = w.engine.reconcile(shift).await.unwrap();
    assert_eq!(rec.ledger_paid, 2);
    assert!(w.ledger.attempt(second.id).unwrap().charge_id.is_some());
    let kinds: Vec<String> = w
        .ledger
        .sale_timeline(second.sale_id)
        .unwrap()
        .into_iter()
        .map(|e| e.entry.kind().to_owned())
        .collect();
    assert!(
        kinds.contains(&"attempt.chargeFound".to_owned()),
        "{kinds:?}"
    );
    assert!(w.ledger.verify().unwrap().is_intact());
}

/// Issue 12 item 12: a charge's refunds are read over every page, so ours
/// is found by its metadata even behind a page of other refunds.
#[tokio::test]
async fn a_lost_refund_is_found_on_a_later_page_of_the_charges_refunds() {
    let w = world().await;
    let a = paid(&w, 1280).await;
    let charge = a.charge_id.clone().unwrap();
    // 25 small refunds made in the elepay dashboard: more than one page.
    for _ in 0..25 {
        w.control.admin_refund(&charge, 10).unwrap();
    }
    w.fault("createRefund", FaultKind::DropAfterCommit, 1);
    let lost = match w.engine.refund(a.id, amount(500), None, None).await {
        Err(EngineError::RefundUnknown { refund, .. }) => refund,
        other => panic!("{other:?}"),
    };
    wait_refund(&w, lost.id, RefundState::Pending).await;
    let all = client_for(&w.sim).list_refunds(&charge).await.unwrap();
    assert_eq!((all.total, all.refunds.len()), (26, 26));
}
