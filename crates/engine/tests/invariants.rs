//! PRODUCT.md §3 invariants and the fault matrix, against the real simulator.
//! Each test would fail if the rule it names were broken.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use easyqr_engine::*;
use easyqr_ledger::{AttemptState, Change};
use easyqr_test_harness::world::*;
use elepay_sim::FaultKind;

#[tokio::test]
async fn charge_shows_qr_only_after_commit_and_records_the_payment() {
    let w = world().await;
    let mut rx = w.engine.subscribe();
    let co = w
        .engine
        .charge(amount(1280), Some("コーヒー"), None)
        .await
        .unwrap();
    assert_eq!(co.attempt.state, AttemptState::Pending);
    assert!(co.code_url.contains(co.attempt.code_id.as_deref().unwrap()));
    assert!(co.remaining_ms > 2 * 60_000);
    assert_eq!(co.attempt.order_no.len(), "S01R1-20261128-0001".len());

    // Invariant 2: when the customer display is told to show a QR, the code is
    // already committed in the ledger.
    let mut saw_qr = false;
    while let Ok(ev) = rx.try_recv() {
        if let EngineEvent::Customer(CustomerEvent::Payment {
            code_url,
            amount,
            code_id: shown,
            ..
        }) = ev
        {
            assert_eq!(amount, 1280);
            assert_eq!(Some(shown.as_str()), co.attempt.code_id.as_deref());
            // The display is handed the committed code URL to draw.
            let committed = w.ledger.attempt(co.attempt.id).unwrap().code_url;
            assert_eq!(Some(code_url.as_str()), committed.as_deref());
            let code_id = code_url.rsplit('/').next().unwrap();
            let a = w.ledger.attempt_by_code_id(code_id).unwrap().unwrap();
            assert_eq!(a.state, AttemptState::Pending);
            saw_qr = true;
        }
    }
    assert!(saw_qr);

    // The customer pays; polling notices.
    w.control
        .pay(co.attempt.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    let a = w.wait_state(co.attempt.id, AttemptState::Captured).await;
    assert_eq!(a.payment_method.as_deref(), Some("paypay"));
    assert!(a.charge_id.is_some());
    // The request carried what the store configured.
    let code = &w.sim_codes()[0];
    assert_eq!(code["locationId"], "loc_store1");
    assert_eq!(
        code["frontUrl"],
        format!("https://shop.example.jp/thanks?order={}", a.order_no)
    );
}

#[tokio::test]
async fn dropped_create_response_burns_the_attempt_and_never_shows_it() {
    let w = world().await;
    let mut rx = w.engine.subscribe();
    w.fault("createCode", FaultKind::DropAfterCommit, 1);
    let err = w.engine.charge(amount(500), None, None).await.unwrap_err();
    let EngineError::OutcomeUnknown { attempt, .. } = &err else {
        panic!("expected OutcomeUnknown, got {err}")
    };
    let burned = w.ledger.attempt(attempt.id).unwrap();
    assert_eq!(burned.state, AttemptState::Burned);
    assert!(burned.code_id.is_none(), "the orphan's id is unknown to us");
    // The orphan exists on the server...
    assert_eq!(w.sim_codes().len(), 1);
    // ...but no QR was ever shown for it.
    while let Ok(ev) = rx.try_recv() {
        assert!(!matches!(ev, EngineEvent::Customer(_)), "{ev:?}");
    }
    // Invariant 3: the retry uses a fresh orderNo and succeeds.
    let co = w.engine.retry(burned.sale_id).await.unwrap();
    assert_ne!(co.attempt.order_no, burned.order_no);
    assert_eq!(co.attempt.sale_id, burned.sale_id);
}

#[tokio::test]
async fn create_timeout_burns_too() {
    let w = world().await;
    let mut f = elepay_sim::FaultSpec::new("createCode", FaultKind::Latency);
    f.latency_ms = 2_000; // client timeout is 800 ms
    w.control.add_fault(f).unwrap();
    let err = w.engine.charge(amount(700), None, None).await.unwrap_err();
    assert!(matches!(err, EngineError::OutcomeUnknown { .. }), "{err:?}");
    let sale = match &err {
        EngineError::OutcomeUnknown { attempt, .. } => attempt.sale_id,
        _ => unreachable!(),
    };
    assert_eq!(
        w.ledger.attempts_of_sale(sale).unwrap()[0].state,
        AttemptState::Burned
    );
}

#[tokio::test]
async fn a_definite_refusal_is_rejected_and_the_sale_can_retry_with_the_same_order_no() {
    let w = world().await;
    w.fault("createCode", FaultKind::Throttle, 5); // more than the client retries
    let err = w.engine.charge(amount(300), None, None).await.unwrap_err();
    let EngineError::Rejected { attempt, code, .. } = &err else {
        panic!("expected Rejected, got {err}")
    };
    assert_eq!(code, "M005000");
    assert_eq!(attempt.state, AttemptState::Rejected);
    w.control.clear_faults();
    let co = w.engine.retry(attempt.sale_id).await.unwrap();
    assert_eq!(
        co.attempt.order_no, attempt.order_no,
        "nothing was created, so the orderNo is free"
    );
}

#[tokio::test]
async fn expiry_is_confirmed_by_the_server_and_the_order_no_reused() {
    let w = world().await;
    let mut rx = w.engine.subscribe();
    let co = w.engine.charge(amount(900), None, None).await.unwrap();
    // A failed wallet attempt is not final: the code stays up.
    w.control
        .fail(co.attempt.code_id.as_deref().unwrap())
        .unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        w.ledger.attempt(co.attempt.id).unwrap().state,
        AttemptState::Pending
    );

    w.control.advance_clock(3 * 60_000).unwrap();
    w.wait_state(co.attempt.id, AttemptState::Expired).await;
    let mut saw = false;
    while let Ok(ev) = rx.try_recv() {
        // The outcome names the code it is about, so a display showing
        // another QR can ignore it.
        saw |= matches!(
            ev,
            EngineEvent::Customer(CustomerEvent::Expired { amount: 900, ref code_id })
                if Some(code_id.as_str()) == co.attempt.code_id.as_deref()
        );
    }
    assert!(saw, "customer display told");
    // FAQ: the same orderNo may be used again after expiry.
    let again = w.engine.retry(co.attempt.sale_id).await.unwrap();
    assert_eq!(again.attempt.order_no, co.attempt.order_no);
}

#[tokio::test]
async fn a_payment_in_the_last_second_is_recorded_as_paid() {
    let w = world().await;
    let co = w.engine.charge(amount(1500), None, None).await.unwrap();
    w.control.advance_clock(3 * 60_000 - 1_000).unwrap();
    w.control
        .pay(co.attempt.code_id.as_deref().unwrap(), "linepay")
        .unwrap();
    w.control.advance_clock(5_000).unwrap();
    let a = w.wait_state(co.attempt.id, AttemptState::Captured).await;
    assert_eq!(a.payment_method.as_deref(), Some("linepay"));
    assert_eq!(w.journal_moves_to(a.id, "expired"), 0);
}

#[tokio::test]
async fn a_local_clock_far_ahead_does_not_expire_anything() {
    // The register's clock says a day has passed; elepay says pending.
    let w = world().await;
    let clock = std::sync::Arc::new(ManualClock::new(1_795_800_000_000));
    let engine = Engine::new(
        w.ledger.clone(),
        client_for(&w.sim),
        clock.clone(),
        config(),
    )
    .unwrap();
    let co = engine.charge(amount(100), None, None).await.unwrap();
    clock.advance(86_400_000);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        w.ledger.attempt(co.attempt.id).unwrap().state,
        AttemptState::Pending
    );
}

#[tokio::test]
async fn cancel_is_confirmed() {
    let w = world().await;
    let co = w.engine.charge(amount(400), None, None).await.unwrap();
    match w.engine.cancel(co.attempt.id).await.unwrap() {
        CancelOutcome::Cancelled(a) => assert_eq!(a.state, AttemptState::Closed),
        other => panic!("{other:?}"),
    }
    assert_eq!(w.sim_codes()[0]["status"], "closed");
    // Closed frees the orderNo (FAQ).
    let again = w.engine.retry(co.attempt.sale_id).await.unwrap();
    assert_eq!(again.attempt.order_no, co.attempt.order_no);
}

#[tokio::test]
async fn a_payment_that_wins_the_cancel_race_is_recorded_and_reported() {
    let mut cfg = config();
    cfg.poll_interval = Duration::from_secs(30); // the poller must not see it first
    let w = world_with(cfg).await;
    let co = w.engine.charge(amount(2200), None, None).await.unwrap();
    w.control
        .pay(co.attempt.code_id.as_deref().unwrap(), "aupay")
        .unwrap();
    match w.engine.cancel(co.attempt.id).await.unwrap() {
        CancelOutcome::PaidMeanwhile(a) => {
            assert_eq!(a.state, AttemptState::Captured);
            assert_eq!(a.payment_method.as_deref(), Some("aupay"));
        }
        other => panic!("expected PaidMeanwhile, got {other:?}"),
    }
    assert_eq!(w.journal_moves_to(co.attempt.id, "captured"), 1);
}

#[tokio::test]
async fn polling_survives_5xx_and_throttling() {
    let w = world().await;
    let co = w.engine.charge(amount(800), None, None).await.unwrap();
    w.fault("retrieveCode", FaultKind::Http5xx, 6);
    w.fault("retrieveCode", FaultKind::Throttle, 6);
    w.control
        .pay(co.attempt.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    w.wait_state(co.attempt.id, AttemptState::Captured).await;
    assert!(
        w.control.faults().is_empty(),
        "every injected failure was hit"
    );
}

#[tokio::test]
async fn several_pending_payments_do_not_interfere() {
    let w = world().await;
    let a = w.engine.charge(amount(100), None, None).await.unwrap();
    let b = w.engine.charge(amount(200), None, None).await.unwrap();
    let c = w.engine.charge(amount(300), None, None).await.unwrap();
    assert_eq!(w.engine.watching(), 3);
    w.control
        .pay(b.attempt.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    w.engine.cancel(a.attempt.id).await.unwrap();
    w.wait_state(b.attempt.id, AttemptState::Captured).await;
    w.wait_state(a.attempt.id, AttemptState::Closed).await;
    assert_eq!(
        w.ledger.attempt(c.attempt.id).unwrap().state,
        AttemptState::Pending
    );
    w.control.advance_clock(3 * 60_000).unwrap();
    w.wait_state(c.attempt.id, AttemptState::Expired).await;
}

#[tokio::test]
async fn recovery_burns_interrupted_creates_and_records_payments_made_while_down() {
    let w = world().await;
    // Simulate a crash state: one attempt reserved, one creating, one pending
    // that the customer paid while the app was down, one pending unpaid.
    let l = &w.ledger;
    let now = w.engine.now_ms();
    let reserved = {
        let s = l.create_sale(amount(10), None, None, now).unwrap();
        l.reserve_attempt(s, &elepay::OrderNo::new("CRASH-1").unwrap(), now)
            .unwrap()
    };
    let creating = {
        let s = l.create_sale(amount(20), None, None, now).unwrap();
        let a = l
            .reserve_attempt(s, &elepay::OrderNo::new("CRASH-2").unwrap(), now)
            .unwrap();
        l.apply(a.id, &Change::Creating, now).unwrap();
        a
    };
    let paid = w.engine.charge(amount(30), None, None).await.unwrap();
    let unpaid = w.engine.charge(amount(40), None, None).await.unwrap();
    // A second engine over the same ledger plays "after the restart"; the
    // first one's pollers are slow to matter since we pay right now.
    w.control
        .pay(paid.attempt.code_id.as_deref().unwrap(), "rakutenpay")
        .unwrap();
    let restarted = w.restarted();
    let report = restarted.recover().await.unwrap();
    assert!(report.journal.as_ref().unwrap().is_intact());
    assert_eq!(
        report.burned,
        vec!["CRASH-1".to_owned(), "CRASH-2".to_owned()]
    );
    assert_eq!(l.attempt(reserved.id).unwrap().state, AttemptState::Burned);
    assert_eq!(l.attempt(creating.id).unwrap().state, AttemptState::Burned);
    let p = w.wait_state(paid.attempt.id, AttemptState::Captured).await;
    assert_eq!(p.payment_method.as_deref(), Some("rakutenpay"));
    assert_eq!(
        w.journal_moves_to(p.id, "captured"),
        1,
        "exactly once across both engines"
    );
    assert!(
        report.resumed.contains(&unpaid.attempt.order_no)
            || l.attempt(unpaid.attempt.id).unwrap().state == AttemptState::Pending
    );
}

#[tokio::test]
async fn a_code_still_open_after_a_restart_goes_back_up_on_the_customer_display() {
    let w = world().await;
    let open = w.engine.charge(amount(40), None, None).await.unwrap();
    let restarted = w.restarted();
    let mut rx = restarted.subscribe();
    let report = restarted.recover().await.unwrap();
    assert_eq!(report.resumed, vec![open.attempt.order_no.clone()]);
    let mut shown = None;
    while let Ok(ev) = rx.try_recv() {
        if let EngineEvent::Customer(CustomerEvent::Payment {
            code_id,
            code_url,
            remaining_ms,
            ..
        }) = ev
        {
            shown = Some((code_id, code_url, remaining_ms));
        }
    }
    let (code_id, code_url, remaining_ms) = shown.expect("the open code is shown again");
    assert_eq!(Some(code_id.as_str()), open.attempt.code_id.as_deref());
    assert_eq!(Some(code_url.as_str()), open.attempt.code_url.as_deref());
    assert!(remaining_ms > 0, "{remaining_ms}");
}

#[tokio::test]
async fn lost_codes_are_retired_through_the_engine_with_their_events() {
    let w = world().await;
    let l = &w.ledger;
    let now = w.engine.now_ms();
    let shown = w.engine.charge(amount(30), None, None).await.unwrap();
    let interrupted = {
        let s = l.create_sale(amount(10), None, None, now).unwrap();
        l.reserve_attempt(s, &elepay::OrderNo::new("CRASH-1").unwrap(), now)
            .unwrap()
    };
    // "After the restart" of a backend that forgot every code (DEMO).
    let restarted = w.restarted();
    let mut rx = restarted.subscribe();
    let retired = restarted.retire_lost_codes().unwrap();
    assert_eq!(retired, vec![shown.attempt.order_no.clone()]);
    assert_eq!(
        l.attempt(shown.attempt.id).unwrap().state,
        AttemptState::Expired
    );
    assert_eq!(w.journal_moves_to(shown.attempt.id, "expired"), 1);
    // Only pending codes: an interrupted create is left to recovery's burn.
    assert_eq!(
        l.attempt(interrupted.id).unwrap().state,
        AttemptState::Reserved
    );
    let (mut cashier, mut customer) = (false, false);
    while let Ok(ev) = rx.try_recv() {
        match ev {
            EngineEvent::Cashier(c) if c.attempt.id == shown.attempt.id => {
                cashier |= c.state == AttemptState::Expired
            }
            EngineEvent::Customer(CustomerEvent::Expired { code_id, amount }) => {
                assert_eq!(Some(code_id.as_str()), shown.attempt.code_id.as_deref());
                assert_eq!(amount, 30);
                customer = true;
            }
            _ => {}
        }
    }
    assert!(cashier && customer, "both windows were told");
    // Nothing left to retire; the journal still verifies.
    assert!(restarted.retire_lost_codes().unwrap().is_empty());
    assert!(l.verify().unwrap().is_intact());
}

#[tokio::test]
async fn a_broken_journal_is_reported_at_recovery() {
    let w = world().await;
    w.engine.charge(amount(50), None, None).await.unwrap();
    w.ledger.with_connection(|c| {
        c.execute_batch(
            "DROP TRIGGER journal_no_update; UPDATE journal SET at = at + 1 WHERE seq = 2;",
        )
        .unwrap()
    });
    let report = w.engine.recover().await.unwrap();
    assert_eq!(report.journal.unwrap().first_bad.unwrap().seq, 2);
}

#[tokio::test]
async fn a_server_m002007_gets_a_clear_message_and_no_qr() {
    // Misconfiguration: two registers share a prefix (and so orderNos) but
    // keep separate ledgers. elepay's rule catches what no local ledger can.
    let w = world().await;
    let other_dir = tempfile::tempdir().unwrap();
    let other_ledger = std::sync::Arc::new(
        easyqr_ledger::Ledger::open(&other_dir.path().join("l.sqlite3")).unwrap(),
    );
    other_ledger.open_shift("R1", "b", 0).unwrap();
    let other = Engine::new(
        other_ledger.clone(),
        client_for(&w.sim),
        std::sync::Arc::new(SystemClock),
        config(),
    )
    .unwrap();
    let first = w.engine.charge(amount(100), None, None).await.unwrap();
    let mut rx = other.subscribe();
    let err = other.charge(amount(100), None, None).await.unwrap_err();
    let EngineError::OrderNoInUse { attempt, order_no } = &err else {
        panic!("expected OrderNoInUse, got {err}")
    };
    assert_eq!(order_no, &first.attempt.order_no);
    assert!(err.to_string().contains("own order prefix"));
    assert!(matches!(err, EngineError::OrderNoInUse { .. }), "{err:?}");
    assert_eq!(
        other_ledger.attempt(attempt.id).unwrap().state,
        AttemptState::Burned
    );
    while let Ok(ev) = rx.try_recv() {
        assert!(
            !matches!(ev, EngineEvent::Customer(_)),
            "no QR for a code we do not own"
        );
    }
}

#[tokio::test]
async fn no_event_can_carry_the_secret_key() {
    let w = world().await;
    let mut rx = w.engine.subscribe();
    let co = w.engine.charge(amount(1280), None, None).await.unwrap();
    w.control
        .pay(co.attempt.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    w.wait_state(co.attempt.id, AttemptState::Captured).await;
    let mut n = 0;
    while let Ok(ev) = rx.try_recv() {
        let text = serde_json::to_string(&ev).unwrap() + &format!("{ev:?}");
        assert!(
            !text.contains(KEY) && !text.contains("engine00001"),
            "{text}"
        );
        n += 1;
    }
    assert!(n >= 4);
    assert!(!format!("{:?}", w.engine).contains("engine00001"));
}

#[tokio::test]
async fn racing_retries_put_up_one_code_per_sale() {
    let w = world().await;
    w.fault("createCode", FaultKind::DropAfterCommit, 1);
    let err = w.engine.charge(amount(640), None, None).await.unwrap_err();
    let EngineError::OutcomeUnknown { attempt, .. } = err else {
        panic!("expected OutcomeUnknown")
    };
    // Two taps on "try again" (or the app and a script) at the same time.
    let (a, b) = tokio::join!(
        w.engine.retry(attempt.sale_id),
        w.engine.retry(attempt.sale_id)
    );
    let refused = match (a, b) {
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => e,
        other => panic!("{other:?}"),
    };
    assert!(
        matches!(refused, EngineError::SaleBusy { .. }),
        "{refused:?}"
    );
    let live = w
        .ledger
        .attempts_of_sale(attempt.sale_id)
        .unwrap()
        .into_iter()
        .filter(|x| x.state == AttemptState::Pending)
        .count();
    assert_eq!(live, 1);
    // The server holds the burned orphan plus exactly one new code.
    assert_eq!(w.sim_codes().len(), 2);
}

#[tokio::test]
async fn a_paid_sale_cannot_be_charged_again() {
    let w = world().await;
    let co = w.engine.charge(amount(410), None, None).await.unwrap();
    w.control
        .pay(co.attempt.code_id.as_deref().unwrap(), "linepay")
        .unwrap();
    w.wait_state(co.attempt.id, AttemptState::Captured).await;
    let err = w.engine.retry(co.attempt.sale_id).await.unwrap_err();
    assert!(matches!(err, EngineError::AlreadyPaid { .. }), "{err:?}");
    assert_eq!(w.sim_codes().len(), 1, "no second code was created");
}

#[tokio::test]
async fn new_settings_apply_to_the_next_charge_and_running_watchers_carry_on() {
    let mut cfg = config();
    cfg.poll_interval = Duration::from_secs(30);
    let w = world_with(cfg).await;
    let mut events = w.engine.subscribe();
    let first = w.engine.charge(amount(500), None, None).await.unwrap();
    assert_eq!(first.remaining_ms, 3 * 60_000);

    let mut next = config();
    next.expiry_minutes = 7;
    next.poll_interval = Duration::from_millis(20);
    w.engine.set_config(next).unwrap();
    let second = w.engine.charge(amount(600), None, None).await.unwrap();
    assert_eq!(second.remaining_ms, 7 * 60_000);

    // Same engine: the first code is still watched, by one poller, and its
    // payment reaches the same subscribers.
    assert_eq!(w.engine.watching(), 2);
    w.control
        .pay(first.attempt.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    // The 30 s sleep already running finishes first; cancel-read it instead.
    match w.engine.cancel(first.attempt.id).await.unwrap() {
        CancelOutcome::PaidMeanwhile(a) => assert_eq!(a.state, AttemptState::Captured),
        other => panic!("{other:?}"),
    }
    let mut saw_paid = false;
    while let Ok(ev) = events.try_recv() {
        if let EngineEvent::Customer(CustomerEvent::Paid { code_id, .. }) = ev {
            saw_paid |= Some(code_id.as_str()) == first.attempt.code_id.as_deref();
        }
    }
    assert!(saw_paid);

    let mut bad = config();
    bad.expiry_minutes = 2;
    let e = w.engine.set_config(bad).unwrap_err();
    assert!(e.to_string().contains("expiryMinutes"), "{e}");
    assert_eq!(w.engine.config().expiry_minutes, 7);
}

#[tokio::test]
async fn a_code_the_ledger_could_not_record_is_never_shown_and_the_sale_can_retry() {
    let w = world().await;
    // The next commit of a shown code fails (a full disk, say).
    w.ledger.with_connection(|c| {
        c.execute_batch(
            "CREATE TEMP TRIGGER fail_pending BEFORE UPDATE OF state ON attempts
             WHEN NEW.state = 'pending'
             BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;",
        )
        .unwrap()
    });
    let mut events = w.engine.subscribe();
    let err = w.engine.charge(amount(640), None, None).await.unwrap_err();
    assert!(matches!(err, EngineError::Ledger(_)), "{err:?}");
    let first = w.ledger.recent_attempts(1, None).unwrap().remove(0);
    assert_eq!(first.state, AttemptState::Burned, "not left creating");
    while let Ok(ev) = events.try_recv() {
        assert!(
            !matches!(ev, EngineEvent::Customer(CustomerEvent::Payment { .. })),
            "an unrecorded code was shown"
        );
    }
    // Nobody can pay it: elepay closes it.
    for _ in 0..200 {
        if w.sim_codes().iter().all(|c| c["status"] == "closed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(w.sim_codes().iter().all(|c| c["status"] == "closed"));
    w.ledger
        .with_connection(|c| c.execute_batch("DROP TRIGGER fail_pending"))
        .unwrap();
    let retry = w.engine.retry(first.sale_id).await.unwrap();
    assert_ne!(retry.attempt.order_no, first.order_no);
}

/// Issue 12 item 2: no sale outside a shift. Nothing is recorded and
/// nothing is sent to elepay.
#[tokio::test]
async fn no_charge_without_an_open_shift() {
    let w = world_without_shift(config()).await;
    let err = w.engine.charge(amount(500), None, None).await.unwrap_err();
    assert!(
        matches!(
            &err,
            EngineError::Ledger(easyqr_ledger::LedgerError::NoOpenShift { register }) if register == "R1"
        ),
        "{err:?}"
    );
    assert_eq!(err.field(), Some("shift"));
    assert!(w.ledger.recent_attempts(10, None).unwrap().is_empty());
    assert!(w.sim_codes().is_empty(), "nothing sent to elepay");
    // Once the shift is open the sale goes through and is in it.
    let shift = w
        .ledger
        .open_shift("R1", "佐藤", w.engine.now_ms())
        .unwrap();
    let c = w.engine.charge(amount(500), None, None).await.unwrap();
    assert_eq!(c.attempt.shift_id, Some(shift));
}

/// Issue 12 item 9b: a charge racing a shift close lands in its shift
/// before the close or in the next one, never in a shift already closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_racing_a_close_never_lands_in_a_closed_shift() {
    let w = world().await;
    let ledger = w.ledger.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    // Shifts close and open as fast as the ledger allows while sales ring up.
    let churn = std::thread::spawn(move || {
        let mut n = 0;
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            ledger.close_shift("R1", 0).unwrap();
            ledger.open_shift("R1", "b", 0).unwrap();
            n += 1;
        }
        n
    });
    for i in 0..60 {
        match w.engine.charge(amount(100 + i), None, None).await {
            Ok(_) | Err(EngineError::Ledger(easyqr_ledger::LedgerError::NoOpenShift { .. })) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(churn.join().unwrap() > 0);
    // In journal order, every sale names the shift open at that point.
    let late: Vec<(i64, i64)> = w.ledger.with_connection(|c| {
        let mut open = None;
        let mut bad = Vec::new();
        let mut stmt = c
            .prepare("SELECT seq, kind, payload FROM journal ORDER BY seq")
            .unwrap();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let (seq, kind, payload): (i64, String, String) =
                (r.get(0).unwrap(), r.get(1).unwrap(), r.get(2).unwrap());
            let p: serde_json::Value = serde_json::from_str(&payload).unwrap();
            match kind.as_str() {
                "shift.opened" => open = p["shiftId"].as_i64(),
                "shift.closed" => open = None,
                "sale.created" if p["shiftId"].as_i64() != open => {
                    bad.push((seq, p["shiftId"].as_i64().unwrap_or(0)))
                }
                _ => {}
            }
        }
        bad
    });
    assert!(
        late.is_empty(),
        "sales journaled in a shift not open then: {late:?}"
    );
}

/// Issue 13 item 3: elepay throttling one poll holds every watcher of the
/// app at once (the key is the app's), and polling resumes after.
#[tokio::test]
async fn a_throttled_poll_holds_every_watcher_and_payments_still_land() {
    let mut cfg = config();
    cfg.max_backoff = Duration::from_millis(400);
    let w = world_with(cfg).await;
    let a = w
        .engine
        .charge(amount(100), None, None)
        .await
        .unwrap()
        .attempt;
    let b = w
        .engine
        .charge(amount(200), None, None)
        .await
        .unwrap()
        .attempt;
    assert_eq!(w.engine.throttled_for(), Duration::ZERO);
    // More throttling answers than the client's own retries absorb.
    w.fault("retrieveCode", FaultKind::Throttle, 6);
    let mut held = false;
    for _ in 0..500 {
        if !w.engine.throttled_for().is_zero() {
            held = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(held, "a throttled answer sets the app-wide hold");
    for x in [&a, &b] {
        w.control
            .pay(x.code_id.as_deref().unwrap(), "paypay")
            .unwrap();
    }
    w.wait_state(a.id, AttemptState::Captured).await;
    w.wait_state(b.id, AttemptState::Captured).await;
}

/// Issue 13 item 2: the customer, who is waiting, is told first: the QR
/// event precedes the cashier's "pending", and "paid" reaches the customer
/// display before the cashier.
#[tokio::test]
async fn the_customer_display_hears_of_a_new_code_and_its_payment_first() {
    let w = world().await;
    let mut rx = w.engine.subscribe();
    let c = w.engine.charge(amount(1280), None, None).await.unwrap();
    w.control
        .pay(c.attempt.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    w.wait_state(c.attempt.id, AttemptState::Captured).await;
    let mut order = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        match ev {
            EngineEvent::Customer(CustomerEvent::Payment { .. }) => order.push("customer qr"),
            EngineEvent::Customer(CustomerEvent::Paid { .. }) => order.push("customer paid"),
            // The countdown repeats "pending": the first one counts.
            EngineEvent::Cashier(e)
                if e.state == AttemptState::Pending && !order.contains(&"cashier pending") =>
            {
                order.push("cashier pending")
            }
            EngineEvent::Cashier(e) if e.state == AttemptState::Captured => {
                order.push("cashier paid")
            }
            _ => {}
        }
    }
    assert_eq!(
        order,
        [
            "customer qr",
            "cashier pending",
            "customer paid",
            "cashier paid"
        ]
    );
}
