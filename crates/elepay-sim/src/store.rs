//! The simulated app's data (codes, charges, refunds) and the business rules
//! that change it. This is the one place where a payment's state changes.
//!
//! Every operation takes the sim time `now` explicitly so the rules are plain
//! functions of their inputs.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::errors::{ApiError, ErrorCode};
use crate::ids;
use crate::methods;
use crate::validate::{NewCode, NewRefund};

/// Lifecycle as stored; expiry is derived from the clock (see [`CodeView`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CodeState {
    Pending,
    Captured {
        charge_id: String,
    },
    /// Closed by `DELETE /codes/{id}`.
    Closed,
}

/// What a code looks like at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeView {
    Pending,
    Expired,
    Captured,
    Closed,
}

#[derive(Debug, Clone)]
pub(crate) struct Code {
    pub(crate) seq: u64,
    pub(crate) id: String,
    pub(crate) live_mode: bool,
    pub(crate) code_url: String,
    pub(crate) spec: NewCode,
    pub(crate) create_time: i64,
    pub(crate) expiry_time: i64,
    pub(crate) state: CodeState,
}

impl Code {
    pub(crate) fn view(&self, now: i64) -> CodeView {
        match self.state {
            CodeState::Pending if now >= self.expiry_time => CodeView::Expired,
            CodeState::Pending => CodeView::Pending,
            CodeState::Captured { .. } => CodeView::Captured,
            CodeState::Closed => CodeView::Closed,
        }
    }

    pub(crate) fn charge_id(&self) -> Option<&str> {
        match &self.state {
            CodeState::Captured { charge_id } => Some(charge_id),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Refund {
    pub(crate) id: String,
    pub(crate) charge_id: String,
    pub(crate) live_mode: bool,
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) metadata: Option<Map<String, Value>>,
    pub(crate) reason: Option<String>,
    pub(crate) create_time: i64,
    /// Sim time at which the provider "completes" it.
    pub(crate) due_time: i64,
    pub(crate) refunded_time: Option<i64>,
}

#[derive(Debug, Clone)]
pub(crate) struct Charge {
    pub(crate) seq: u64,
    pub(crate) id: String,
    pub(crate) live_mode: bool,
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) payment_method: String,
    pub(crate) order_no: String,
    pub(crate) description: Option<String>,
    pub(crate) extra: Option<Map<String, Value>>,
    pub(crate) metadata: Option<Map<String, Value>>,
    pub(crate) location_id: Option<String>,
    pub(crate) voucher_no: String,
    pub(crate) paid_time: i64,
    pub(crate) create_time: i64,
    pub(crate) refunds: Vec<Refund>,
}

impl Charge {
    /// Sum of completed refunds.
    pub(crate) fn refunded_amount(&self) -> i64 {
        self.refunds
            .iter()
            .filter(|r| r.refunded_time.is_some())
            .map(|r| r.amount)
            .sum()
    }

    /// Sum of all refunds, pending included (what can no longer be refunded).
    pub(crate) fn requested_refund_amount(&self) -> i64 {
        self.refunds.iter().map(|r| r.amount).sum()
    }

    pub(crate) fn status(&self) -> &'static str {
        let done = self.refunded_amount();
        if done >= self.amount {
            "refunded"
        } else if done > 0 {
            "partially_refunded"
        } else {
            "captured"
        }
    }

    pub(crate) fn refund_time(&self) -> Option<i64> {
        self.refunds.iter().filter_map(|r| r.refunded_time).max()
    }
}

/// All objects of the simulated application.
#[derive(Debug, Default)]
pub(crate) struct Store {
    codes: HashMap<String, Code>,
    charges: HashMap<String, Charge>,
    next_seq: u64,
    /// Refunds accepted by a `commitLater` fault: they exist at elepay
    /// only from their due time on.
    deferred_refunds: Vec<DeferredRefund>,
}

#[derive(Debug)]
struct DeferredRefund {
    charge_id: String,
    live_mode: bool,
    req: NewRefund,
    due: i64,
}

/// Objects are partitioned by mode like on elepay: a test key never sees
/// live objects. `None` = the simulator's admin side, which sees everything.
fn visible(obj_live: bool, caller_live: Option<bool>) -> bool {
    caller_live.is_none_or(|l| l == obj_live)
}

impl Store {
    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// createCode, including the FAQ's orderNo uniqueness rule.
    pub(crate) fn create_code(
        &mut self,
        spec: NewCode,
        live_mode: bool,
        now: i64,
        public_base: &str,
    ) -> Result<&Code, ApiError> {
        // Reuse is blocked by a paid code or one still valid; closed and
        // expired codes free the orderNo.
        let taken = self.codes.values().any(|c| {
            c.live_mode == live_mode
                && c.spec.order_no == spec.order_no
                && matches!(c.view(now), CodeView::Captured | CodeView::Pending)
        });
        if taken {
            return Err(ApiError::new(ErrorCode::M002007));
        }
        let id = ids::new_id("cod_");
        let code = Code {
            seq: self.seq(),
            code_url: format!("{}/pay/code/{id}", public_base.trim_end_matches('/')),
            live_mode,
            create_time: now,
            expiry_time: now.saturating_add(spec.expiry_minutes.saturating_mul(60_000)),
            spec,
            state: CodeState::Pending,
            id: id.clone(),
        };
        Ok(self.codes.entry(id).or_insert(code))
    }

    pub(crate) fn code(&self, id: &str, caller_live: Option<bool>) -> Result<&Code, ApiError> {
        self.codes
            .get(id)
            .filter(|c| visible(c.live_mode, caller_live))
            .ok_or_else(ApiError::not_found)
    }

    pub(crate) fn codes(&self) -> Vec<&Code> {
        let mut v: Vec<&Code> = self.codes.values().collect();
        v.sort_by_key(|c| c.seq);
        v
    }

    /// closeCode: only a pending, unexpired code can be closed.
    pub(crate) fn close_code(
        &mut self,
        id: &str,
        caller_live: Option<bool>,
        now: i64,
    ) -> Result<(), ApiError> {
        let code = self
            .codes
            .get_mut(id)
            .filter(|c| visible(c.live_mode, caller_live))
            .ok_or_else(ApiError::not_found)?;
        match code.view(now) {
            CodeView::Pending => {
                code.state = CodeState::Closed;
                Ok(())
            }
            CodeView::Expired => Err(ApiError::new(ErrorCode::M006004)),
            CodeView::Captured | CodeView::Closed => Err(ApiError::new(ErrorCode::M006003)),
        }
    }

    /// A customer payment attempt is only possible on a pending, valid code.
    pub(crate) fn check_payable(&self, id: &str, now: i64) -> Result<&Code, ApiError> {
        let code = self.code(id, None)?;
        match code.view(now) {
            CodeView::Pending => Ok(code),
            CodeView::Expired => Err(ApiError::new(ErrorCode::M006004)),
            CodeView::Captured | CodeView::Closed => Err(ApiError::new(ErrorCode::M006003)),
        }
    }

    /// The customer pays: the code is captured and its charge created.
    pub(crate) fn pay(&mut self, id: &str, method: &str, now: i64) -> Result<&Charge, ApiError> {
        if methods::find(method).is_none() {
            return Err(ApiError::invalid("paymentMethod").legacy(10003));
        }
        let code = self.check_payable(id, now)?.clone();
        let charge = Charge {
            seq: self.seq(),
            id: ids::new_id("cha_"),
            live_mode: code.live_mode,
            amount: code.spec.amount,
            currency: code.spec.currency.clone(),
            payment_method: method.to_owned(),
            order_no: code.spec.order_no.clone(),
            description: code.spec.description.clone(),
            extra: code.spec.extra.clone(),
            metadata: code.spec.metadata.clone(),
            location_id: code.spec.location_id.clone(),
            voucher_no: ids::voucher_no(),
            paid_time: now,
            create_time: now,
            refunds: Vec::new(),
        };
        let charge_id = charge.id.clone();
        if let Some(c) = self.codes.get_mut(id) {
            c.state = CodeState::Captured {
                charge_id: charge_id.clone(),
            };
        }
        Ok(self.charges.entry(charge_id).or_insert(charge))
    }

    pub(crate) fn charge(&self, id: &str, caller_live: Option<bool>) -> Result<&Charge, ApiError> {
        self.charges
            .get(id)
            .filter(|c| visible(c.live_mode, caller_live))
            .ok_or_else(ApiError::not_found)
    }

    pub(crate) fn charges(&self, caller_live: bool) -> impl Iterator<Item = &Charge> {
        self.charges
            .values()
            .filter(move |c| c.live_mode == caller_live)
    }

    /// createRefund; also used by the admin "dashboard refund".
    pub(crate) fn create_refund(
        &mut self,
        charge_id: &str,
        caller_live: Option<bool>,
        req: NewRefund,
        now: i64,
        delay_ms: i64,
    ) -> Result<&Refund, ApiError> {
        let charge = self
            .charges
            .get_mut(charge_id)
            .filter(|c| visible(c.live_mode, caller_live))
            .ok_or_else(ApiError::not_found)?;
        let remaining = charge.amount - charge.requested_refund_amount();
        if charge.status() == "refunded" || remaining <= 0 {
            return Err(ApiError::new(ErrorCode::M006000).legacy(10108));
        }
        if req.amount > remaining {
            return Err(ApiError::invalid("amount").legacy(10102));
        }
        charge.refunds.push(Refund {
            id: ids::new_id("ref_"),
            charge_id: charge.id.clone(),
            live_mode: charge.live_mode,
            amount: req.amount,
            currency: req.currency,
            metadata: req.metadata,
            reason: req.reason,
            create_time: now,
            due_time: now.saturating_add(delay_ms.max(0)),
            refunded_time: None,
        });
        charge
            .refunds
            .last()
            .ok_or_else(|| ApiError::new(ErrorCode::S001000))
    }

    /// Accepts a refund that will only be made at `due` (a slow elepay
    /// whose answer was lost): unknown to every read until then.
    pub(crate) fn defer_refund(
        &mut self,
        charge_id: &str,
        caller_live: Option<bool>,
        req: NewRefund,
        due: i64,
    ) -> Result<(), ApiError> {
        let live_mode = self.charge(charge_id, caller_live)?.live_mode;
        self.deferred_refunds.push(DeferredRefund {
            charge_id: charge_id.to_owned(),
            live_mode,
            req,
            due,
        });
        Ok(())
    }

    /// Makes the deferred refunds whose time has come, as if requested then
    /// (one that no longer fits the charge is refused, so never made).
    pub(crate) fn commit_due_refunds(&mut self, now: i64, delay_ms: i64) {
        let (due, later) = std::mem::take(&mut self.deferred_refunds)
            .into_iter()
            .partition(|d| d.due <= now);
        self.deferred_refunds = later;
        for d in due {
            if let Err(e) =
                self.create_refund(&d.charge_id, Some(d.live_mode), d.req, d.due, delay_ms)
            {
                tracing::info!(charge = d.charge_id, error = ?e, "deferred refund not made");
            }
        }
    }

    /// Completes refunds whose time has come; returns them for webhooks.
    pub(crate) fn complete_due_refunds(&mut self, now: i64) -> Vec<Refund> {
        let mut done = Vec::new();
        let mut charges: Vec<&mut Charge> = self.charges.values_mut().collect();
        charges.sort_by_key(|c| c.seq);
        for charge in charges {
            for r in charge.refunds.iter_mut() {
                if r.refunded_time.is_none() && r.due_time <= now {
                    // Completion time is the due time, not when we noticed.
                    r.refunded_time = Some(r.due_time);
                    done.push(r.clone());
                }
            }
        }
        done.sort_by_key(|r| r.due_time);
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate;

    fn spec(order: &str) -> NewCode {
        validate::new_code(
            format!(r#"{{"amount":1000,"orderNo":"{order}","expiryDuration":3}}"#).as_bytes(),
        )
        .expect("valid")
    }

    fn refund(amount: i64) -> NewRefund {
        validate::new_refund(format!(r#"{{"amount":{amount}}}"#).as_bytes()).expect("valid")
    }

    #[test]
    fn order_no_rule() {
        let mut s = Store::default();
        let a = s
            .create_code(spec("O1"), false, 0, "http://x")
            .expect("first")
            .id
            .clone();
        let e = s
            .create_code(spec("O1"), false, 1, "http://x")
            .expect_err("pending blocks");
        assert_eq!(e.code, ErrorCode::M002007);
        // Live and test data are separate namespaces.
        assert!(s.create_code(spec("O1"), true, 1, "http://x").is_ok());
        // After expiry reuse is fine.
        let b = s
            .create_code(spec("O1"), false, 180_000, "http://x")
            .expect("expired")
            .id
            .clone();
        s.close_code(&b, Some(false), 180_001).expect("close");
        let c = s
            .create_code(spec("O1"), false, 180_002, "http://x")
            .expect("closed")
            .id
            .clone();
        s.pay(&c, "paypay", 180_003).expect("pay");
        let e = s
            .create_code(spec("O1"), false, 10_000_000, "http://x")
            .expect_err("paid blocks");
        assert_eq!(e.code, ErrorCode::M002007);
        assert_eq!(
            s.code(&a, Some(false)).expect("a").view(180_000),
            CodeView::Expired
        );
    }

    #[test]
    fn close_and_pay_states() {
        let mut s = Store::default();
        let id = s
            .create_code(spec("C"), false, 0, "http://x")
            .expect("c")
            .id
            .clone();
        assert_eq!(
            s.close_code(&id, Some(true), 1)
                .expect_err("other mode")
                .code,
            ErrorCode::M002003
        );
        s.close_code(&id, Some(false), 1).expect("close");
        assert_eq!(
            s.close_code(&id, None, 2).expect_err("again").code,
            ErrorCode::M006003
        );
        assert_eq!(
            s.pay(&id, "paypay", 2).expect_err("closed").code,
            ErrorCode::M006003
        );
        let id2 = s
            .create_code(spec("D"), false, 0, "http://x")
            .expect("c")
            .id
            .clone();
        assert_eq!(
            s.close_code(&id2, None, 180_000).expect_err("expired").code,
            ErrorCode::M006004
        );
        assert_eq!(
            s.pay(&id2, "paypay", 180_000).expect_err("expired").code,
            ErrorCode::M006004
        );
        let id3 = s
            .create_code(spec("E"), false, 0, "http://x")
            .expect("c")
            .id
            .clone();
        assert_eq!(
            s.pay(&id3, "bitcoin", 1)
                .expect_err("method")
                .param
                .as_deref(),
            Some("paymentMethod")
        );
        s.pay(&id3, "linepay", 1).expect("pay");
        assert_eq!(
            s.pay(&id3, "paypay", 1).expect_err("paid").code,
            ErrorCode::M006003
        );
    }

    #[test]
    fn refunds_accumulate_and_complete() {
        let mut s = Store::default();
        let id = s
            .create_code(spec("R"), false, 0, "http://x")
            .expect("c")
            .id
            .clone();
        let ch = s.pay(&id, "paypay", 10).expect("pay").id.clone();
        s.create_refund(&ch, Some(false), refund(400), 20, 3000)
            .expect("partial");
        let e = s
            .create_refund(&ch, Some(false), refund(700), 21, 3000)
            .expect_err("over");
        assert_eq!(e.param.as_deref(), Some("amount"));
        assert_eq!(s.charge(&ch, None).expect("ch").status(), "captured");
        assert!(s.complete_due_refunds(3019).is_empty());
        assert_eq!(s.complete_due_refunds(3020).len(), 1);
        assert_eq!(
            s.charge(&ch, None).expect("ch").status(),
            "partially_refunded"
        );
        s.create_refund(&ch, Some(false), refund(600), 4000, 3000)
            .expect("rest");
        let e = s
            .create_refund(&ch, Some(false), refund(1), 4001, 3000)
            .expect_err("none left");
        assert_eq!((e.code, e.legacy), (ErrorCode::M006000, 10108));
        s.complete_due_refunds(7000);
        let c = s.charge(&ch, None).expect("ch");
        assert_eq!((c.status(), c.refund_time()), ("refunded", Some(7000)));
    }
}
