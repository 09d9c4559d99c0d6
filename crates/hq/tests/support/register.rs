//! A real register for the HQ tests: engine, ledger file and simulator
//! (tests/harness), with a shift of paid, cancelled, refunded and late
//! payments whose journal is what gets shipped.

use easyqr_ledger::{AttemptState, JournalRow, ShiftId};
use easyqr_test_harness::world::{world, World};
use elepay::Amount;

fn yen(v: i64) -> Amount {
    Amount::new(v).unwrap()
}

/// A register after one closed shift: `sales` sales (two in three paid,
/// one cancelled), a partial refund, and a payment that arrived after the
/// close (late). Answers the world and the closed shift's id.
pub async fn busy_register(sales: i64) -> (World, ShiftId) {
    let w = world().await;
    let mut paid = Vec::new();
    for i in 0..sales {
        let co = w.engine.charge(yen(100 + i * 10), None).await.unwrap();
        let id = co.attempt.id;
        if i % 3 == 2 {
            w.engine.cancel(id).await.unwrap();
            w.wait_state(id, AttemptState::Closed).await;
        } else {
            let method = if i % 2 == 0 { "paypay" } else { "linepay" };
            w.control
                .pay(co.attempt.code_id.as_deref().unwrap(), method)
                .unwrap();
            w.wait_state(id, AttemptState::Captured).await;
            paid.push(id);
        }
    }
    w.engine
        .refund(paid[0], yen(50), Some("returned"))
        .await
        .unwrap();
    let late = w.engine.charge(yen(777), None).await.unwrap();
    let shift = w.shift();
    w.next_shift("次の担当");
    w.control
        .pay(late.attempt.code_id.as_deref().unwrap(), "paypay")
        .unwrap();
    w.wait_state(late.attempt.id, AttemptState::Captured).await;
    (w, shift)
}

pub fn all_rows(w: &World) -> Vec<JournalRow> {
    w.ledger.journal_rows_after(0, usize::MAX).unwrap()
}
