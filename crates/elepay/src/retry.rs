//! Which failed calls may be repeated, and how long to wait first.
//!
//! Reads are always safe to repeat. A write is repeated only when the server
//! certainly did not act on it: the request was never sent, or the server
//! refused it outright (throttling). A create whose outcome is unknown is
//! never repeated here: the caller must burn that orderNo (invariant 3).

use std::time::Duration;

use rand::Rng;

use crate::error::{Error, Operation};

#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 disables retrying.
    pub max_retries: u32,
    /// First backoff step; doubles each retry.
    pub base_delay: Duration,
    /// Upper bound of one wait.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Whether `err` from `op` may be retried without risking a second effect.
    pub fn is_retryable(op: Operation, err: &Error) -> bool {
        match err {
            Error::NotSent { .. } => true,
            Error::Api { api, .. } if api.is_throttled() => true,
            Error::Api { api, .. } if api.is_server_error() => op.is_read(),
            Error::OutcomeUnknown { .. } => op.is_read(),
            _ => false,
        }
    }

    /// Wait before retry number `retry` (0-based), see [`backoff`].
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        backoff(self.base_delay, self.max_delay, retry, retry_after)
    }
}

/// The one backoff of the workspace (this client's retries, the engine's
/// polls and refund checks): `base · 2^step` capped at `cap`, with "equal
/// jitter" (half fixed, half random) so concurrent registers spread out,
/// never shorter than a server-sent `Retry-After` (itself bounded, so a
/// hostile or buggy header cannot stall a register for long).
pub fn backoff(
    base: Duration,
    cap: Duration,
    step: u32,
    retry_after: Option<Duration>,
) -> Duration {
    let exp = base.saturating_mul(1u32 << step.min(16)).min(cap);
    let half = exp / 2;
    let jitter = rand::rng().random_range(0..=half.as_millis() as u64);
    let d = half + Duration::from_millis(jitter);
    retry_after.map_or(d, |ra| d.max(ra.min(RETRY_AFTER_LIMIT)))
}

/// Longest `Retry-After` honoured.
const RETRY_AFTER_LIMIT: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    fn api(status: u16, body: &str) -> Error {
        Error::Api {
            operation: Operation::CreateCode,
            api: Box::new(ApiError::from_response(status, body.as_bytes())),
        }
    }

    #[test]
    fn creates_are_not_retried_when_they_may_have_happened() {
        let unknown = Error::OutcomeUnknown {
            operation: Operation::CreateCode,
            reason: "timeout".into(),
        };
        assert!(!RetryPolicy::is_retryable(Operation::CreateCode, &unknown));
        assert!(!RetryPolicy::is_retryable(
            Operation::CreateCode,
            &api(500, r#"{"errorCode":"S001000"}"#)
        ));
        assert!(!RetryPolicy::is_retryable(
            Operation::CreateRefund,
            &unknown
        ));
        // ...but reads are.
        assert!(RetryPolicy::is_retryable(Operation::RetrieveCode, &unknown));
        assert!(RetryPolicy::is_retryable(
            Operation::RetrieveCode,
            &api(503, "")
        ));
    }

    #[test]
    fn definite_refusals_are_retried_for_writes() {
        let not_sent = Error::NotSent {
            operation: Operation::CreateCode,
            reason: "refused".into(),
        };
        assert!(RetryPolicy::is_retryable(Operation::CreateCode, &not_sent));
        assert!(RetryPolicy::is_retryable(
            Operation::CreateCode,
            &api(400, r#"{"errorCode":"M005000"}"#)
        ));
        assert!(RetryPolicy::is_retryable(
            Operation::CreateCode,
            &api(429, "")
        ));
        assert!(!RetryPolicy::is_retryable(
            Operation::CreateCode,
            &api(400, r#"{"errorCode":"M002007"}"#)
        ));
    }

    #[test]
    fn delays_grow_with_jitter_and_cap() {
        let p = RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        for retry in 0..10 {
            let exp = (100u64 << retry).min(1000);
            let d = p.delay(retry, None).as_millis() as u64;
            assert!(d >= exp / 2 && d <= exp, "retry {retry}: {d}ms");
        }
        assert!(p.delay(0, Some(Duration::from_millis(700))) >= Duration::from_millis(700));
    }

    #[test]
    fn backoff_grows_caps_and_bounds_retry_after() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(2);
        for step in 0..40 {
            let d = backoff(base, cap, step, None);
            assert!(d <= cap, "{d:?}");
            assert!(d >= (base * 2u32.pow(step.min(10))).min(cap) / 2);
        }
        assert!(backoff(base, cap, 1, Some(Duration::from_secs(1))) >= Duration::from_secs(1));
        let hostile = Some(Duration::from_secs(3600));
        assert_eq!(backoff(base, cap, 0, hostile), RETRY_AFTER_LIMIT);
    }
}
