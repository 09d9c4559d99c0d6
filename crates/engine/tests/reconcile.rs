//! Reconciliation of a shift against the simulator's `GET /charges`.
#![allow(clippy::unwrap_used)]

use easyqr_engine::{Difference, EngineError};
use easyqr_ledger::{AttemptState, Change};
use easyqr_test_harness::world::*;
use elepay_sim::FaultKind;

async fn pay_one(w: &World, yen: i64) -> easyqr_ledger::Attempt {
    let c = w.engine.charge(amount(yen), None, None).await.unwrap();
    w.control
        .pay(c.attempt.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    w.wait_state(c.attempt.id, AttemptState::Captured).await
}

#[tokio::test]
async fn a_matching_shift_is_clean_across_every_page() {
    let w = world().await;
    let shift = w.shift();
    // More than one page of 100 charges.
    for i in 0..105 {
        pay_one(&w, 100 + i).await;
    }
    let r = w.engine.reconcile(shift).await.unwrap();
    assert_eq!((r.elepay_charges, r.ledger_paid), (105, 105));
    assert!(r.is_clean(), "{:?}", r.differences);
}

#[tokio::test]
async fn a_paid_code_the_register_never_saw_is_recorded_once_confirmed() {
    let w = world().await;
    let shift = w.shift();
    pay_one(&w, 500).await;
    // The create reached elepay, its answer did not: the attempt is burned
    // and never shown, but the code exists and gets paid anyway (a phone
    // that somehow had the URL).
    w.fault("createCode", FaultKind::DropAfterCommit, 1);
    let burned = match w.engine.charge(amount(1280), None, None).await {
        Err(EngineError::OutcomeUnknown { attempt, .. }) => attempt,
        other => panic!("{other:?}"),
    };
    let orphan = w
        .sim_codes()
        .into_iter()
        .find(|c| c["orderNo"] == burned.order_no.as_str())
        .unwrap();
    w.control
        .pay(orphan["id"].as_str().unwrap(), "linepay")
        .unwrap();

    let r = w.engine.reconcile(shift).await.unwrap();
    assert_eq!(r.differences.len(), 1, "{:?}", r.differences);
    match &r.differences[0] {
        Difference::PaidOnlyAtElepay {
            order_no,
            amount,
            recorded,
            ..
        } => {
            assert_eq!(
                (order_no.as_str(), *amount, *recorded),
                (burned.order_no.as_str(), 1280, true)
            );
        }
        other => panic!("{other:?}"),
    }
    let now = w.ledger.attempt(burned.id).unwrap();
    assert_eq!(now.state, AttemptState::Captured);
    assert_eq!(now.payment_method.as_deref(), Some("linepay"));
    let x = w.ledger.shift_report(shift, w.engine.now_ms()).unwrap();
    assert_eq!((x.paid.count, x.paid.amount), (2, 1780));
    // Recorded exactly once: the next run is clean.
    assert!(w.engine.reconcile(shift).await.unwrap().is_clean());
    assert_eq!(w.journal_moves_to(burned.id, "captured"), 1);
    assert!(w.ledger.verify().unwrap().is_intact());
}

#[tokio::test]
async fn dashboard_refunds_local_ghosts_and_other_registers() {
    let w = world().await;
    let shift = w.shift();
    let refunded = pay_one(&w, 1280).await;
    w.control
        .admin_refund(refunded.charge_id.as_deref().unwrap(), 280)
        .unwrap();
    // Paid in the ledger with a charge elepay does not have.
    let ghost = {
        let c = w.engine.charge(amount(700), None, None).await.unwrap();
        w.ledger
            .apply(
                c.attempt.id,
                &Change::Captured {
                    charge_id: Some("cha_not_at_elepay".into()),
                    payment_method: Some("paypay".into()),
                    paid_time: None,
                    source: "test".into(),
                },
                w.engine.now_ms(),
            )
            .unwrap();
        c.attempt
    };
    // Another register of the same elepay app (its own prefix) is not ours.
    let other = client_for(&w.sim)
        .create_code(&elepay::CodeReq::new(
            amount(990),
            elepay::OrderNo::new("S01R2-20261128-0001").unwrap(),
        ))
        .await
        .unwrap();
    w.control.pay(&other.id, "paypay").unwrap();

    let r = w.engine.reconcile(shift).await.unwrap();
    assert_eq!(r.elepay_charges, 1, "only this register's orders count");
    let mut kinds: Vec<String> = r
        .differences
        .iter()
        .map(|d| match d {
            Difference::RefundMismatch {
                order_no,
                local_refunded,
                elepay_refunded,
                ..
            } => {
                format!("refund {order_no} {local_refunded} {elepay_refunded}")
            }
            Difference::MissingAtElepay {
                order_no,
                charge_id,
                ..
            } => {
                format!("missing {order_no} {}", charge_id.as_deref().unwrap_or(""))
            }
            other => format!("{other:?}"),
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            format!("missing {} cha_not_at_elepay", ghost.order_no),
            format!("refund {} 0 280", refunded.order_no),
        ]
    );
}

#[tokio::test]
async fn an_amount_that_differs_from_elepay_is_reported() {
    let w = world().await;
    let shift = w.shift();
    let a = pay_one(&w, 1280).await;
    // The ledger row says something else than elepay (an edit behind the
    // journal's back, which verify also reports).
    w.ledger.with_connection(|c| {
        c.execute("UPDATE attempts SET amount = 1000 WHERE id = ?1", [a.id])
            .unwrap()
    });
    let r = w.engine.reconcile(shift).await.unwrap();
    assert_eq!(
        r.differences,
        [Difference::AmountMismatch {
            order_no: a.order_no.clone(),
            charge_id: a.charge_id.clone().unwrap(),
            local: 1000,
            elepay: 1280,
        }]
    );
    assert!(!w.ledger.verify().unwrap().is_intact());
}

#[tokio::test]
async fn back_to_back_shifts_do_not_claim_each_others_payments() {
    let w = world().await;
    let first = w.shift();
    pay_one(&w, 500).await;
    let second = w.next_shift("b");
    pay_one(&w, 700).await;
    // Each shift's window reaches into the other's (the simulator's clock
    // stands still, so both payments lie in both windows).
    for shift in [first, second] {
        let r = w.engine.reconcile(shift).await.unwrap();
        assert_eq!((r.elepay_charges, r.ledger_paid), (2, 1));
        assert!(r.is_clean(), "shift {shift}: {:?}", r.differences);
    }
}

/// A1 closed in the ledger but paid at elepay (a late payment nothing
/// watched), then its retry A2 on the same orderNo refused by elepay
/// (M002007: that orderNo is paid) and burned.
async fn closed_then_paid_with_a_refused_retry(
    w: &World,
) -> (easyqr_ledger::Attempt, easyqr_ledger::Attempt) {
    let a1 = w
        .engine
        .charge(amount(900), None, None)
        .await
        .unwrap()
        .attempt;
    w.ledger
        .apply(a1.id, &Change::Closed, w.engine.now_ms())
        .unwrap();
    w.control
        .pay(a1.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    let a2 = match w.engine.retry(a1.sale_id).await {
        Err(EngineError::OrderNoInUse { attempt, .. }) => *attempt,
        other => panic!("{other:?}"),
    };
    assert_eq!(a2.order_no, a1.order_no, "a closed orderNo is reused");
    (a1, a2)
}

#[tokio::test]
async fn a_late_payment_is_recorded_on_the_code_elepay_says_was_paid() {
    let w = world().await;
    let shift = w.shift();
    let (a1, a2) = closed_then_paid_with_a_refused_retry(&w).await;
    let r = w.engine.reconcile(shift).await.unwrap();
    assert!(
        matches!(
            &r.differences[..],
            [Difference::PaidOnlyAtElepay { recorded: true, .. }]
        ),
        "{:?}",
        r.differences
    );
    assert_eq!(
        w.ledger.attempt(a1.id).unwrap().state,
        AttemptState::Captured
    );
    assert_eq!(w.ledger.attempt(a2.id).unwrap().state, AttemptState::Burned);
    let again = w.engine.reconcile(shift).await.unwrap();
    assert!(again.is_clean(), "{:?}", again.differences);
}
