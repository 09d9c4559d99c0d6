//! A real register for the HQ tests: engine, ledger file and simulator
//! (tests/harness), with a shift of paid, cancelled, refunded and late
//! payments whose journal is what gets shipped.

use easyqr_ledger::{AttemptState, JournalRow, SaleTaxed, ShiftId};
use easyqr_tax::TaxRate;
use easyqr_test_harness::world::{world, World};
use elepay::Amount;

use super::tax::{included, item, lines, of_amount, refund_of_amount};

fn yen(v: i64) -> Amount {
    Amount::new(v).unwrap()
}

/// How sale `i` of `amount` is taxed: items at 10 % and 8 %, a tax-free
/// item, not at all (rung up by an older version), else an amount at 10 %.
/// Sales 0, 1, 3 and 4 are paid (see [`busy_register`]): one of each.
pub fn taxed(i: i64, amount: i64) -> Option<SaleTaxed> {
    match i % 5 {
        1 => Some(lines(
            &included(),
            vec![
                item("コーヒー", 1, amount - 40, TaxRate::Standard),
                item("クッキー", 1, 40, TaxRate::Reduced),
            ],
        )),
        3 => Some(lines(
            &included(),
            vec![item("切手", 1, amount, TaxRate::Free)],
        )),
        4 => None,
        _ => Some(of_amount(TaxRate::Standard, amount)),
    }
}

/// A register after one closed shift: `sales` sales (two in three paid,
/// one cancelled; taxed as [`taxed`] says), a partial refund, and a payment
/// that arrived after the close (late). Answers the world and the closed
/// shift's id.
pub async fn busy_register(sales: i64) -> (World, ShiftId) {
    let w = world().await;
    let mut paid = Vec::new();
    for i in 0..sales {
        let amount = 100 + i * 10;
        let tax = taxed(i, amount);
        let co = w
            .engine
            .charge(yen(amount), None, tax.as_ref())
            .await
            .unwrap();
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
            paid.push((id, tax));
        }
    }
    // The first sale is one amount at 10 %: refunded by amount at its rate.
    let (first, tax) = &paid[0];
    let back = tax.as_ref().map(|t| refund_of_amount(t, 50));
    w.engine
        .refund(*first, yen(50), Some("returned"), back.as_ref())
        .await
        .unwrap();
    let late = w
        .engine
        .charge(yen(777), None, Some(&of_amount(TaxRate::Reduced, 777)))
        .await
        .unwrap();
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
