//! Webhook events: the envelope, and verification of `elepay-signature`
//! (HMAC-SHA256 over `t + "." + raw body`, lowercase hex).

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::model::{ChargeDto, RefundDto};

/// Header name as elepay sends it; HTTP header lookups are case-insensitive.
pub const SIGNATURE_HEADER: &str = "elepay-signature";

/// Default allowed distance between `t` and now (elepay's Java SDK default).
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// Event type. Both `charge.succeeded` (event list) and `charge.captured`
/// (older guides) mean the payment succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventType {
    ChargeSucceeded,
    ChargeCaptured,
    ChargeRevoked,
    RefundSucceeded,
    Other(String),
}

impl EventType {
    pub fn parse(s: &str) -> Self {
        match s {
            "charge.succeeded" => EventType::ChargeSucceeded,
            "charge.captured" => EventType::ChargeCaptured,
            "charge.revoked" => EventType::ChargeRevoked,
            "refund.succeeded" => EventType::RefundSucceeded,
            other => EventType::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            EventType::ChargeSucceeded => "charge.succeeded",
            EventType::ChargeCaptured => "charge.captured",
            EventType::ChargeRevoked => "charge.revoked",
            EventType::RefundSucceeded => "refund.succeeded",
            EventType::Other(s) => s,
        }
    }

    pub fn is_payment_success(&self) -> bool {
        matches!(self, EventType::ChargeSucceeded | EventType::ChargeCaptured)
    }
}

/// The event envelope. `data.object` is kept raw and decoded on demand, so an
/// event of a type we do not model is still acknowledged and logged.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub object: String,
    pub create_time: i64,
    pub live_mode: bool,
    pub event_type: EventType,
    pub data_object: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEvent {
    id: String,
    #[serde(default)]
    object: String,
    #[serde(default)]
    create_time: i64,
    #[serde(default)]
    live_mode: bool,
    #[serde(rename = "type")]
    event_type: String,
    data: RawData,
}

#[derive(Deserialize)]
struct RawData {
    object: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook body is not an elepay event: {0}")]
    BadEnvelope(String),
    #[error("webhook has no elepay-signature header")]
    MissingSignature,
    #[error("elepay-signature header is malformed (expected t=<seconds>,sign=<hex>)")]
    MalformedSignature,
    #[error("webhook timestamp is {age_secs} s away from now (tolerance {tolerance_secs} s)")]
    Stale { age_secs: i64, tolerance_secs: u64 },
    #[error("webhook signature does not match any configured signing secret")]
    NoMatch,
}

impl Event {
    pub fn parse(body: &[u8]) -> Result<Event, WebhookError> {
        let raw: RawEvent =
            serde_json::from_slice(body).map_err(|e| WebhookError::BadEnvelope(e.to_string()))?;
        Ok(Event {
            id: raw.id,
            object: raw.object,
            create_time: raw.create_time,
            live_mode: raw.live_mode,
            event_type: EventType::parse(&raw.event_type),
            data_object: raw.data.object,
        })
    }

    fn object_kind(&self) -> Option<&str> {
        self.data_object.get("object").and_then(Value::as_str)
    }

    /// The charge, for `charge.*` events.
    pub fn charge(&self) -> Option<ChargeDto> {
        let is_charge = self.object_kind() == Some("charge")
            || (self.object_kind().is_none() && self.event_type.as_str().starts_with("charge."));
        is_charge
            .then(|| serde_json::from_value(self.data_object.clone()).ok())
            .flatten()
    }

    /// The refund, for `refund.succeeded` whose object is a RefundDto (the
    /// docs give no example; a charge object there is handled by `charge()`).
    pub fn refund(&self) -> Option<RefundDto> {
        (self.object_kind() == Some("refund"))
            .then(|| serde_json::from_value(self.data_object.clone()).ok())
            .flatten()
    }

    /// Store of the event: `data.object.location.id` (live schema) or a flat
    /// `locationId`.
    pub fn location_id(&self) -> Option<&str> {
        self.data_object
            .pointer("/location/id")
            .or_else(|| self.data_object.get("locationId"))
            .and_then(Value::as_str)
    }
}

/// A webhook endpoint's signing secret; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(String);

impl SigningSecret {
    pub fn new(s: impl Into<String>) -> Self {
        SigningSecret(s.into())
    }
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(…)")
    }
}

type HmacSha256 = Hmac<Sha256>;

/// Lowercase hex HMAC-SHA256 of `t + "." + body`.
pub fn compute_signature(secret: &SigningSecret, t: i64, body: &[u8]) -> String {
    #[allow(clippy::expect_used)]
    let mut mac =
        HmacSha256::new_from_slice(secret.0.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The full header value elepay would send.
pub fn signature_header(secret: &SigningSecret, t: i64, body: &[u8]) -> String {
    format!("t={t},sign={}", compute_signature(secret, t, body))
}

/// Accepts a signature made with any of several secrets, so switching a
/// webhook endpoint (old and new both live for a while) loses nothing.
#[derive(Debug, Clone)]
pub struct Verifier {
    secrets: Vec<SigningSecret>,
    tolerance_secs: u64,
}

impl Verifier {
    pub fn new(secrets: Vec<SigningSecret>) -> Self {
        Verifier {
            secrets,
            tolerance_secs: DEFAULT_TOLERANCE_SECS,
        }
    }

    /// 0 disables the timestamp check.
    pub fn with_tolerance_secs(mut self, secs: u64) -> Self {
        self.tolerance_secs = secs;
        self
    }

    /// Checks `header` against the raw `body` bytes (never re-serialised JSON).
    pub fn verify(
        &self,
        header: Option<&str>,
        body: &[u8],
        now_unix_secs: i64,
    ) -> Result<(), WebhookError> {
        let header = header.ok_or(WebhookError::MissingSignature)?;
        let mut t: Option<i64> = None;
        let mut signs: Vec<String> = Vec::new();
        for part in header.split(',') {
            let (k, v) = part
                .trim()
                .split_once('=')
                .ok_or(WebhookError::MalformedSignature)?;
            match k.trim() {
                "t" => {
                    t = Some(
                        v.trim()
                            .parse()
                            .map_err(|_| WebhookError::MalformedSignature)?,
                    )
                }
                "sign" => signs.push(v.trim().to_ascii_lowercase()),
                _ => {} // unknown parts are ignored for forward compatibility
            }
        }
        let t = t.ok_or(WebhookError::MalformedSignature)?;
        if signs.is_empty() {
            return Err(WebhookError::MalformedSignature);
        }
        if self.tolerance_secs > 0 {
            let age = now_unix_secs.saturating_sub(t);
            if age.unsigned_abs() > self.tolerance_secs {
                return Err(WebhookError::Stale {
                    age_secs: age,
                    tolerance_secs: self.tolerance_secs,
                });
            }
        }
        let mut ok = subtle::Choice::from(0u8);
        for secret in &self.secrets {
            let expected = compute_signature(secret, t, body);
            for sign in &signs {
                if sign.len() == expected.len() {
                    ok |= sign.as_bytes().ct_eq(expected.as_bytes());
                }
            }
        }
        if bool::from(ok) {
            Ok(())
        } else {
            Err(WebhookError::NoMatch)
        }
    }

    /// What every webhook receiver does first: the signature, then the
    /// envelope. A refusal's [`WebhookError::http_status`] is the answer.
    pub fn accept(
        &self,
        header: Option<&str>,
        body: &[u8],
        now_unix_secs: i64,
    ) -> Result<Event, WebhookError> {
        self.verify(header, body, now_unix_secs)?;
        Event::parse(body)
    }
}

impl WebhookError {
    /// 401 for a signature that does not hold (forged, stale, missing);
    /// 400 for a signed body that is no event (elepay would not fix it by
    /// sending it again).
    pub fn http_status(&self) -> u16 {
        match self {
            WebhookError::BadEnvelope(_) => 400,
            _ => 401,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1","object":"event","createTime":1543944030817,"liveMode":false,"type":"charge.succeeded","data":{"object":{"id":"cha_1","object":"charge","amount":1800,"status":"captured","orderNo":"A1","location":{"id":"loc_9"}}}}"#;

    #[test]
    fn known_vector() {
        // HMAC-SHA256(key="secret", msg="1581064080.{}"), computed
        // independently with Python's hmac module.
        let s = SigningSecret::new("secret");
        assert_eq!(
            compute_signature(&s, 1581064080, b"{}"),
            "27300867af5c007480847d08873aef5289767412138574fc7bbe9a5e1f3c3f89"
        );
    }

    #[test]
    fn accepts_any_configured_secret_and_any_sign() {
        let old = SigningSecret::new("whsec_old");
        let new = SigningSecret::new("whsec_new");
        let v = Verifier::new(vec![old.clone(), new.clone()]);
        let t = 1_700_000_000;
        for s in [&old, &new] {
            let h = signature_header(s, t, BODY);
            assert_eq!(v.verify(Some(&h), BODY, t + 10), Ok(()));
        }
        // Several sign= values: one good one is enough.
        let h = format!(
            "t={t},sign={},sign={}",
            "0".repeat(64),
            compute_signature(&new, t, BODY)
        );
        assert_eq!(v.verify(Some(&h), BODY, t), Ok(()));
        // Upper-case hex is the same signature.
        let h = format!(
            "t={t},sign={}",
            compute_signature(&old, t, BODY).to_uppercase()
        );
        assert_eq!(v.verify(Some(&h), BODY, t), Ok(()));
    }

    #[test]
    fn rejects_forged_stale_and_malformed() {
        let s = SigningSecret::new("whsec_a");
        let v = Verifier::new(vec![s.clone()]);
        let t = 1_700_000_000;
        let h = signature_header(&SigningSecret::new("whsec_other"), t, BODY);
        assert_eq!(v.verify(Some(&h), BODY, t), Err(WebhookError::NoMatch));
        // Body changed by one byte.
        let h = signature_header(&s, t, BODY);
        let mut tampered = BODY.to_vec();
        tampered[60] ^= 1;
        assert_eq!(v.verify(Some(&h), &tampered, t), Err(WebhookError::NoMatch));
        // Stale (and future) timestamps.
        assert!(matches!(
            v.verify(Some(&h), BODY, t + 301),
            Err(WebhookError::Stale { .. })
        ));
        assert!(matches!(
            v.verify(Some(&h), BODY, t - 301),
            Err(WebhookError::Stale { .. })
        ));
        assert_eq!(
            v.clone()
                .with_tolerance_secs(0)
                .verify(Some(&h), BODY, t + 10_000),
            Ok(())
        );
        assert_eq!(v.verify(None, BODY, t), Err(WebhookError::MissingSignature));
        for bad in ["", "t=abc,sign=00", "sign=00", "t=1", "garbage"] {
            assert_eq!(
                v.verify(Some(bad), BODY, t),
                Err(WebhookError::MalformedSignature),
                "{bad}"
            );
        }
    }

    #[test]
    fn envelope_decodes() {
        let e = Event::parse(BODY).unwrap();
        assert_eq!(e.id, "evt_1");
        assert!(e.event_type.is_payment_success());
        assert!(EventType::parse("charge.captured").is_payment_success());
        let c = e.charge().unwrap();
        assert_eq!(c.amount, 1800);
        assert_eq!(e.location_id(), Some("loc_9"));
        assert!(e.refund().is_none());
        assert!(matches!(
            Event::parse(b"{}"),
            Err(WebhookError::BadEnvelope(_))
        ));
    }
}
