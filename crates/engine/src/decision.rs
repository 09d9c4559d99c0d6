//! What the engine decides, apart from doing it: pure functions of elepay's
//! answers and the ledger's rows (no I/O, no ledger, no async), so each rule
//! is table-tested here and the use-case modules only fetch, commit and emit.

use std::time::Duration;

use easyqr_ledger::{Attempt, AttemptState, Change};

use crate::config::EngineConfig;
use elepay::webhook::Event;
use elepay::{ChargeDto, CodeDto, CodeStatus};

/// Result of one webhook event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// Re-fetched and recorded; the state the attempt is in now.
    Applied(AttemptState),
    Duplicate,
    Ignored(&'static str),
    /// elepay could not be asked; the event is not marked seen.
    NotYetApplied,
}

/// What a create asked for, to check elepay's answer against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Asked<'a> {
    pub order_no: &'a str,
    pub amount: i64,
    /// Validity to assume when the answer does not say (the configured expiry).
    pub validity_ms: i64,
    pub now: i64,
    /// Last four characters of the key the code is made under.
    pub key_last4: &'a str,
}

/// How a create answer is classified.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CreateVerdict {
    /// Commit `change` (pending) and only then show the code.
    Show { change: Change, remaining_ms: i64 },
    /// Never shown and the orderNo retired (invariant 3); `reason` is journalled.
    Burn { reason: String, cause: BurnCause },
    /// elepay said no; nothing payable exists.
    Reject { error_code: String, message: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BurnCause {
    /// elepay answered with a code we did not ask for; it must be closed.
    Mismatch { code_id: String },
    /// M002007: another code with this orderNo is paid or still valid.
    OrderNoInUse,
    /// The create may have happened (no answer, server error mid-way).
    OutcomeUnknown,
}

pub(crate) fn classify_create(
    answer: &Result<CodeDto, elepay::Error>,
    asked: &Asked<'_>,
) -> CreateVerdict {
    match answer {
        Ok(code) => {
            let usable = code.order_no.as_deref() == Some(asked.order_no)
                && code.amount == asked.amount
                && code.code_url.as_deref().is_some_and(|u| !u.is_empty());
            if !usable {
                // Never show a code whose content we did not ask for.
                return CreateVerdict::Burn {
                    reason: format!(
                        "elepay returned code {} that does not match the request",
                        code.id
                    ),
                    cause: BurnCause::Mismatch {
                        code_id: code.id.clone(),
                    },
                };
            }
            let remaining_ms = code.expiry_period.unwrap_or(asked.validity_ms);
            CreateVerdict::Show {
                change: Change::Pending {
                    code_id: code.id.clone(),
                    code_url: code.code_url.clone().unwrap_or_default(),
                    expiry_time: code.expiry_time.unwrap_or(asked.now + remaining_ms),
                    key_last4: asked.key_last4.to_owned(),
                },
                remaining_ms,
            }
        }
        // M002007 is burned too: elepay knows this orderNo as paid or
        // valid, so it is retired for good.
        Err(e) if e.is_order_no_in_use() => CreateVerdict::Burn {
            reason: e.to_string(),
            cause: BurnCause::OrderNoInUse,
        },
        Err(e) if e.write_may_have_happened() => CreateVerdict::Burn {
            reason: e.to_string(),
            cause: BurnCause::OutcomeUnknown,
        },
        Err(e) => CreateVerdict::Reject {
            error_code: e.code().to_owned(),
            message: crate::error::api_message(e),
        },
    }
}

/// What one read of a code means for the ledger.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CodeRead {
    /// `None`: nothing to record, keep watching.
    pub change: Option<Change>,
    /// Server-reported validity left, for the countdown.
    pub remaining_ms: Option<i64>,
}

/// `source` names who read it (poll, webhook, cancel, recovery).
pub(crate) fn read_code(code: &CodeDto, source: &str) -> CodeRead {
    let change = match &code.status {
        CodeStatus::Captured => Some(captured(code.charge.as_ref(), source)),
        CodeStatus::Closed if code.expired => Some(Change::Expired),
        CodeStatus::Closed => Some(Change::Closed),
        // pending, completed (payment in progress) and unknown statuses:
        // keep watching; silence is never failure.
        _ => None,
    };
    CodeRead {
        change,
        remaining_ms: code.expiry_period,
    }
}

/// The ledger change for a payment elepay reports, with what its charge says.
pub(crate) fn captured(charge: Option<&ChargeDto>, source: &str) -> Change {
    Change::Captured {
        charge_id: charge.map(|c| c.id.clone()),
        payment_method: charge
            .and_then(|c| c.payment_method.as_ref())
            .map(|m| m.as_str().to_owned()),
        paid_time: charge.and_then(|c| c.paid_time),
        source: source.to_owned(),
    }
}

/// The payment a webhook event reports, once it is one this store handles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReportedPayment {
    pub charge_id: String,
    pub order_no: String,
}

/// Whether an event may concern this register at all; `Err` says why not.
/// `location` is the store's elepay location, when configured.
pub(crate) fn webhook_payment(
    event: &Event,
    location: Option<&str>,
) -> Result<ReportedPayment, &'static str> {
    if !event.event_type.is_payment_success() {
        return Err("not a payment event");
    }
    if let Some(ours) = location {
        if event.location_id() != Some(ours) {
            return Err("another store's payment");
        }
    }
    let Some(charge) = event.charge() else {
        return Err("no charge in the event");
    };
    let Some(order_no) = charge.order_no else {
        return Err("charge without orderNo");
    };
    Ok(ReportedPayment {
        charge_id: charge.id,
        order_no,
    })
}

/// Which attempts of the event's orderNo to read back.
#[derive(Debug, PartialEq)]
pub(crate) enum WebhookTargets<'a> {
    /// The charge is already recorded on one of them.
    AlreadyRecorded,
    /// Read these codes back; elepay decides which one was paid.
    Refetch(Vec<&'a Attempt>),
    /// No code of ours that could have been paid.
    NotOurs,
}

/// An orderNo may have had several codes (retries after close or expiry).
/// The charge does not say which code it paid, so every code of that
/// orderNo not yet known as paid is a candidate.
pub(crate) fn webhook_targets<'a>(attempts: &'a [Attempt], charge_id: &str) -> WebhookTargets<'a> {
    if attempts
        .iter()
        .any(|a| a.charge_id.as_deref() == Some(charge_id))
    {
        return WebhookTargets::AlreadyRecorded;
    }
    let candidates: Vec<&Attempt> = attempts
        .iter()
        .filter(|a| {
            a.code_id.is_some()
                && matches!(
                    a.state,
                    AttemptState::Pending | AttemptState::Closed | AttemptState::Expired
                )
        })
        .collect();
    if candidates.is_empty() {
        WebhookTargets::NotOurs
    } else {
        WebhookTargets::Refetch(candidates)
    }
}

/// The outcome of a webhook from the states its read-backs recorded (in
/// order) and whether any read-back failed. A failed one leaves the event
/// not applied (so a redelivery gets another chance) unless a payment was
/// recorded anyway.
pub(crate) fn webhook_outcome(states: &[AttemptState], failed: bool) -> WebhookOutcome {
    if states.contains(&AttemptState::Captured) {
        return WebhookOutcome::Applied(AttemptState::Captured);
    }
    match states.last() {
        // Polling and recovery will also pick it up; a redelivery may too.
        _ if failed => WebhookOutcome::NotYetApplied,
        Some(state) => WebhookOutcome::Applied(*state),
        None => WebhookOutcome::NotYetApplied,
    }
}

/// Whether a refund elepay does not list (its request's answer was lost)
/// may still be made: elepay never refunds more than was paid, so once the
/// refunds it lists leave less than its amount, it can never exist. Short of
/// that it may (elepay may commit it late): never decide on a timer.
pub(crate) fn refund_may_exist(paid: i64, listed_refunds: i64, amount: i64) -> bool {
    listed_refunds + amount <= paid
}

/// Whether a failed close still lets a cancel go on to read the code back:
/// elepay says the code already ended, or the close may have gone through.
pub(crate) fn close_failure_may_have_ended(e: &elepay::Error) -> bool {
    let known_end = e
        .api()
        .is_some_and(|api| api.is_code_paid_or_cancelled() || api.is_code_expired());
    known_end || e.write_may_have_happened()
}

/// What to do with another attempt of a sale that was just paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sibling {
    /// Paid too: the sale was paid twice, one payment must be refunded.
    PaidTwice,
    /// Still payable: close it so the customer cannot pay twice.
    Close,
    Leave,
}

pub(crate) fn sibling_of_paid(sibling: &Attempt) -> Sibling {
    match sibling.state {
        AttemptState::Captured => Sibling::PaidTwice,
        AttemptState::Pending => Sibling::Close,
        _ => Sibling::Leave,
    }
}

/// What the engine knows of push: elepay's events arriving by themselves
/// (HQ's event stream), so "paid" needs no poll to show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Push {
    /// Not connected, or never was.
    #[default]
    Down,
    /// Connected; its last sign of life (a beat or an event), engine ms.
    Up { last_sign_ms: i64 },
}

/// Until when push is live (engine ms, exclusive); `None` while it is
/// down. Live means connected, and a sign of life came within
/// `silence_limit`: a connection that stopped beating (half-dead TCP, a
/// stalled proxy) counts as down once the limit passes.
pub(crate) fn push_live_until(push: Push, silence_limit: Duration) -> Option<i64> {
    match push {
        Push::Down => None,
        Push::Up { last_sign_ms } => {
            Some(last_sign_ms.saturating_add(silence_limit.as_millis() as i64))
        }
    }
}

pub(crate) fn push_live(push: Push, now_ms: i64, silence_limit: Duration) -> bool {
    push_live_until(push, silence_limit).is_some_and(|until| now_ms < until)
}

/// The poll interval of a pending code `age_ms` old. Without push:
/// `poll_interval` in its first `fast_poll_window` (a payment then shows
/// within about one interval), `slow_poll_interval` after, so a brand's
/// registers sharing one key stay gentle. While push is live, "paid"
/// arrives by itself and polling is only the safety net:
/// `push_poll_interval`, then `push_slow_poll_interval`. An interval set
/// below the one before it never speeds polling up.
pub(crate) fn poll_interval_at(age_ms: i64, push_live: bool, cfg: &EngineConfig) -> Duration {
    let young = age_ms < cfg.fast_poll_window.as_millis() as i64;
    let fast = if young {
        cfg.poll_interval
    } else {
        cfg.slow_poll_interval.max(cfg.poll_interval)
    };
    if !push_live {
        return fast;
    }
    let gentle = if young {
        cfg.push_poll_interval
    } else {
        cfg.push_slow_poll_interval.max(cfg.push_poll_interval)
    };
    gentle.max(fast)
}

/// The wait before the next poll of a pending code, and whether that poll
/// is the check at expiry. Polls once right at expiry so "expired" shows
/// without delay (the server decides whether it really is); otherwise,
/// including a server whose countdown is stuck at 0, the normal interval,
/// never a flood.
pub(crate) fn next_poll_delay(
    remaining: Option<i64>,
    interval: Duration,
    expiry_check_done: bool,
) -> (Duration, bool) {
    match remaining {
        Some(r) if r > 0 && (r as u128) < interval.as_millis() && !expiry_check_done => {
            (Duration::from_millis(r as u64 + 20), true)
        }
        _ => (interval, false),
    }
}

/// The wait after `failures` failed looks in a row (0: the normal
/// `interval`), growing to `cap`, never below a server's Retry-After (itself
/// bounded by `cap`). Used by code polling and refund follow-up alike.
pub(crate) fn next_check_delay(
    interval: Duration,
    cap: Duration,
    failures: u32,
    retry_after: Option<Duration>,
) -> Duration {
    if failures == 0 {
        return interval;
    }
    elepay::backoff(interval, cap, failures, retry_after.map(|r| r.min(cap)))
}

#[cfg(test)]
mod tests;
