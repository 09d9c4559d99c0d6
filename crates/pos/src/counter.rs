//! One sale on the customer display at a time. While a customer's code is
//! up (or being created), a new charge or a retry of another sale is
//! refused: the customer's QR is never swapped under them. The cashier
//! waits for the outcome or cancels the code first (a cancel is read back
//! from elepay, so a payment made meanwhile is still recorded).

use easyqr_ledger::{Attempt, AttemptState};

use crate::error::{ErrorCode, PosError, Result};

/// Whether a new code may go up on the customer display, given the
/// register's unresolved attempts (`Ledger::unresolved_attempts`). `sale`:
/// the sale a retry is for (its own finished attempt never counts).
pub fn may_show_new_code(unresolved: &[Attempt], sale: Option<i64>) -> Result<()> {
    let showing = unresolved.iter().rev().find(|a| {
        matches!(
            a.state,
            AttemptState::Reserved | AttemptState::Creating | AttemptState::Pending
        ) && Some(a.sale_id) != sale
    });
    match showing {
        None => Ok(()),
        Some(a) => {
            let mut e = PosError::new(
                ErrorCode::CodeShowing,
                format!(
                    "order {} (¥{}) is still on the customer display: wait for the customer, or cancel it first",
                    a.order_no, a.amount
                ),
            );
            e.sale_id = Some(a.sale_id);
            e.attempt_id = Some(a.id);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(id: i64, sale_id: i64, state: AttemptState) -> Attempt {
        Attempt {
            id,
            sale_id,
            shift_id: Some(1),
            order_no: format!("R1-20260101-{id:04}"),
            amount: 1280,
            state,
            code_id: None,
            code_url: None,
            expiry_time: None,
            key_last4: None,
            charge_id: None,
            payment_method: None,
            paid_time: None,
            error_code: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn a_new_code_waits_until_nothing_is_showing() {
        assert!(may_show_new_code(&[], None).is_ok());
        for (state, refused) in [
            (AttemptState::Reserved, true),
            (AttemptState::Creating, true),
            (AttemptState::Pending, true),
            (AttemptState::Captured, false),
            (AttemptState::Closed, false),
            (AttemptState::Expired, false),
            (AttemptState::Burned, false),
            (AttemptState::Rejected, false),
        ] {
            let r = may_show_new_code(&[attempt(7, 3, state)], None);
            assert_eq!(r.is_err(), refused, "{state}");
            if let Err(e) = r {
                assert_eq!(e.code, ErrorCode::CodeShowing);
                assert_eq!((e.sale_id, e.attempt_id), (Some(3), Some(7)));
                assert!(e.message.contains("R1-20260101-0007"), "{}", e.message);
            }
        }
    }

    #[test]
    fn a_retry_of_another_sale_is_refused_too() {
        let up = [attempt(7, 3, AttemptState::Pending)];
        assert!(may_show_new_code(&up, Some(4)).is_err());
        // The sale's own attempt is the ledger's to judge (sale_busy).
        assert!(may_show_new_code(&up, Some(3)).is_ok());
    }
}
