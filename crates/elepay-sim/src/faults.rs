//! Injected failures for elepay endpoints (latency, 5xx, throttling, lost
//! responses, TCP resets), keyed by OpenAPI operationId.

use serde::{Deserialize, Serialize};

/// The operationIds the simulator serves.
pub(crate) const OPERATIONS: &[&str] = &[
    "createCode",
    "retrieveCode",
    "closeCode",
    "listCharges",
    "retrieveCharge",
    "retrieveChargeStatus",
    "createRefund",
    "listChargesRefunds",
    "retrieveChargeRefund",
    "listCodePaymentMethods",
];

/// How an injected fault misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultKind {
    /// Process normally, but hold the response back `latency_ms` (real time).
    Latency,
    /// Answer `status` (default 500) with `S001000`, without processing.
    Http5xx,
    /// Answer `M005000` with `status` (default 400), without processing.
    Throttle,
    /// Process and commit, then close the connection without a response.
    DropAfterCommit,
    /// Close the connection with a TCP RST before processing.
    Reset,
    /// `createRefund` only: accept the request, answer nothing (the
    /// connection is closed), and make the refund `delayMs` of sim time
    /// later (a slow elepay whose answer was lost).
    CommitLater,
    /// `retrieveCode` only: answer normally but without the code's
    /// `charge` object.
    OmitCharge,
}

/// One fault rule, as posted to `POST /_sim/faults`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultSpec {
    /// An operationId (e.g. `createCode`) or `*` for every elepay endpoint.
    pub endpoint: String,
    pub kind: FaultKind,
    /// How many upcoming matching requests it hits.
    #[serde(default = "one")]
    pub count: u32,
    /// For `latency`: how long to hold the response, real milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
    /// For `commitLater`: sim milliseconds until the refund is made.
    #[serde(default)]
    pub delay_ms: i64,
    /// For `http5xx` / `throttle`: the HTTP status to answer with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

fn one() -> u32 {
    1
}

impl FaultSpec {
    /// A fault hitting the next `count` requests to `endpoint`.
    pub fn new(endpoint: &str, kind: FaultKind) -> Self {
        Self {
            endpoint: endpoint.to_owned(),
            kind,
            count: 1,
            latency_ms: 0,
            delay_ms: 0,
            status: None,
        }
    }

    /// Rejects rules that could never fire or would answer nonsense.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.endpoint != "*" && !OPERATIONS.contains(&self.endpoint.as_str()) {
            return Err(format!(
                "unknown endpoint {:?}; use * or one of {}",
                self.endpoint,
                OPERATIONS.join(", ")
            ));
        }
        if self.count == 0 {
            return Err("count must be at least 1".into());
        }
        match (self.kind, self.status) {
            (FaultKind::Http5xx, Some(s)) if !(500..=599).contains(&s) => {
                Err("http5xx status must be 500..=599".into())
            }
            (FaultKind::Throttle, Some(s)) if !(400..=499).contains(&s) => {
                Err("throttle status must be 400..=499 (400 as documented, or 429)".into())
            }
            (FaultKind::CommitLater, _) if self.endpoint != "createRefund" => {
                Err("commitLater applies to createRefund only".into())
            }
            (FaultKind::CommitLater, _) if self.delay_ms < 0 => {
                Err("delayMs must be 0 or more".into())
            }
            (FaultKind::OmitCharge, _) if self.endpoint != "retrieveCode" => {
                Err("omitCharge applies to retrieveCode only".into())
            }
            _ => Ok(()),
        }
    }
}

/// Active fault rules, consumed in insertion order.
#[derive(Debug, Default)]
pub(crate) struct FaultBook {
    rules: Vec<FaultSpec>,
}

impl FaultBook {
    pub(crate) fn add(&mut self, spec: FaultSpec) {
        self.rules.push(spec);
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    pub(crate) fn list(&self) -> Vec<FaultSpec> {
        self.rules.clone()
    }

    /// Uses up one hit of the first rule matching `operation`.
    pub(crate) fn take(&mut self, operation: &str) -> Option<FaultSpec> {
        let idx = self
            .rules
            .iter()
            .position(|r| r.endpoint == "*" || r.endpoint == operation)?;
        let rule = &mut self.rules[idx];
        rule.count = rule.count.saturating_sub(1);
        let hit = rule.clone();
        if rule.count == 0 {
            self.rules.remove(idx);
        }
        Some(hit)
    }
}

/// Maps a request to its operationId (`None` = not an elepay operation).
pub(crate) fn operation_id(method: &axum::http::Method, route: &str) -> Option<&'static str> {
    use axum::http::Method;
    let get = method == Method::GET || method == Method::HEAD;
    let post = method == Method::POST;
    let delete = method == Method::DELETE;
    match route {
        "/codes" if post => Some("createCode"),
        "/codes/{codeId}" if get => Some("retrieveCode"),
        "/codes/{codeId}" if delete => Some("closeCode"),
        "/code-setting/payment-methods" if get => Some("listCodePaymentMethods"),
        "/charges" if get => Some("listCharges"),
        "/charges/{id}" if get => Some("retrieveCharge"),
        "/charges/{id}/status" if get => Some("retrieveChargeStatus"),
        "/charges/{id}/refunds" if get => Some("listChargesRefunds"),
        "/charges/{id}/refunds" if post => Some("createRefund"),
        "/charges/{id}/refunds/{refundId}" if get => Some("retrieveChargeRefund"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method;

    #[test]
    fn rules_are_consumed_by_count() {
        let mut b = FaultBook::default();
        b.add(FaultSpec {
            count: 2,
            ..FaultSpec::new("createCode", FaultKind::Reset)
        });
        b.add(FaultSpec::new("*", FaultKind::Throttle));
        assert_eq!(b.take("createCode").map(|f| f.kind), Some(FaultKind::Reset));
        assert_eq!(
            b.take("retrieveCode").map(|f| f.kind),
            Some(FaultKind::Throttle)
        );
        assert_eq!(b.take("createCode").map(|f| f.kind), Some(FaultKind::Reset));
        assert_eq!(b.take("createCode"), None);
    }

    #[test]
    fn spec_json_and_validation() {
        let f: FaultSpec =
            serde_json::from_str(r#"{"endpoint":"createCode","kind":"dropAfterCommit"}"#)
                .expect("parse");
        assert_eq!(
            (f.kind, f.count, f.status),
            (FaultKind::DropAfterCommit, 1, None)
        );
        assert!(FaultSpec::new("nope", FaultKind::Reset).validate().is_err());
        let t = FaultSpec {
            status: Some(429),
            ..FaultSpec::new("*", FaultKind::Throttle)
        };
        assert!(t.validate().is_ok());
        let bad = FaultSpec {
            status: Some(200),
            ..FaultSpec::new("*", FaultKind::Http5xx)
        };
        assert!(bad.validate().is_err());
        assert!(FaultSpec::new("createCode", FaultKind::CommitLater)
            .validate()
            .is_err());
        assert!(FaultSpec::new("createRefund", FaultKind::CommitLater)
            .validate()
            .is_ok());
        assert!(FaultSpec::new("*", FaultKind::OmitCharge)
            .validate()
            .is_err());
    }

    #[test]
    fn operation_ids() {
        assert_eq!(operation_id(&Method::POST, "/codes"), Some("createCode"));
        assert_eq!(
            operation_id(&Method::DELETE, "/codes/{codeId}"),
            Some("closeCode")
        );
        assert_eq!(operation_id(&Method::PUT, "/codes/{codeId}"), None);
        assert_eq!(operation_id(&Method::GET, "/_sim/clock"), None);
    }
}
