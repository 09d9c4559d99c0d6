//! Request-body validation for createCode and createRefund.
//!
//! Bodies are parsed as `serde_json::Value` and checked field by field so every
//! rejection can name the field in `parameterName`, as elepay does.

use serde_json::{Map, Value};

use crate::errors::{ApiError, ErrorCode};

/// A validated `POST /codes` body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewCode {
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) order_no: String,
    pub(crate) description: Option<String>,
    pub(crate) extra: Option<Map<String, Value>>,
    pub(crate) metadata: Option<Map<String, Value>>,
    pub(crate) expiry_minutes: i64,
    pub(crate) front_url: Option<String>,
    pub(crate) items: Option<Vec<Value>>,
    pub(crate) location_id: Option<String>,
}

/// A validated `POST /charges/{id}/refunds` body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewRefund {
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) metadata: Option<Map<String, Value>>,
    pub(crate) reason: Option<String>,
}

const URL_BODY: &str = "-+&@#/%?=~_|!:,.;";
const URL_END: &str = "-+&@#/%=~_|";

/// Full match of `https?://[-A-Za-z0-9+&@#/%?=~_|!:,.;]+[-A-Za-z0-9+&@#/%=~_|]`.
pub(crate) fn is_valid_url(s: &str) -> bool {
    let rest = match s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    {
        Some(r) => r,
        None => return false,
    };
    let body_ok = |c: char| c.is_ascii_alphanumeric() || URL_BODY.contains(c);
    let end_ok = |c: char| c.is_ascii_alphanumeric() || URL_END.contains(c);
    // The end set is a subset of the body set, so "all body chars, at least
    // two, last in the end set" is the same language as the regex.
    match rest.chars().last() {
        Some(last) => rest.chars().count() >= 2 && rest.chars().all(body_ok) && end_ok(last),
        None => false,
    }
}

/// Parses a body that must be a JSON object (else M002002 / legacy 40027).
pub(crate) fn json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(ApiError::new(ErrorCode::M002002).legacy(40027)),
    }
}

fn opt_string(
    m: &Map<String, Value>,
    key: &str,
    max_chars: usize,
) -> Result<Option<String>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max_chars => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid(key)),
    }
}

fn currency(m: &Map<String, Value>) -> Result<String, ApiError> {
    match m.get("currency") {
        None | Some(Value::Null) => Ok("JPY".into()),
        Some(Value::String(s)) if s.len() == 3 && s.chars().all(|c| c.is_ascii_alphabetic()) => {
            if s == "JPY" {
                Ok(s.clone())
            } else {
                Err(ApiError::new(ErrorCode::M002009)
                    .param("currency")
                    .legacy(40023))
            }
        }
        Some(_) => Err(ApiError::invalid("currency").legacy(40023)),
    }
}

/// `metadata` / `extra`: object of string values, ≤ 20 keys, keys ≤ 20 chars.
fn string_map(
    m: &Map<String, Value>,
    key: &str,
    is_metadata: bool,
) -> Result<Option<Map<String, Value>>, ApiError> {
    let obj = match m.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(ApiError::invalid(key)),
    };
    if obj.len() > 20 {
        return Err(ApiError::invalid(key));
    }
    for (k, v) in obj {
        let Value::String(s) = v else {
            return Err(ApiError::invalid(key));
        };
        if k.is_empty() || k.chars().count() > 20 {
            return Err(ApiError::invalid(key));
        }
        if is_metadata && (s.len() > 255 || k.starts_with("route") || k.starts_with("__")) {
            return Err(ApiError::invalid(key));
        }
    }
    Ok(Some(obj.clone()))
}

fn items(m: &Map<String, Value>) -> Result<Option<Vec<Value>>, ApiError> {
    let list = match m.get("items") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(ApiError::invalid("items")),
    };
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let Value::Object(it) = item else {
            return Err(ApiError::invalid("items"));
        };
        let mut clean = Map::new();
        match it.get("name") {
            Some(Value::String(s)) if !s.is_empty() => {
                clean.insert("name".into(), Value::String(s.clone()));
            }
            None | Some(Value::Null) => return Err(ApiError::missing("items.name").legacy(40024)),
            Some(_) => return Err(ApiError::invalid("items.name").legacy(40024)),
        }
        match it.get("image") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if is_valid_url(s) => {
                clean.insert("image".into(), Value::String(s.clone()));
            }
            Some(_) => return Err(ApiError::invalid("items.image")),
        }
        for (field, min) in [("price", 0), ("count", 1)] {
            let name = format!("items.{field}");
            match it.get(field) {
                None | Some(Value::Null) => return Err(ApiError::missing(&name)),
                Some(v) => match v.as_i64() {
                    Some(n) if n >= min => {
                        clean.insert(field.into(), Value::from(n));
                    }
                    _ => return Err(ApiError::invalid(&name)),
                },
            }
        }
        out.push(Value::Object(clean));
    }
    Ok(Some(out))
}

/// `amount`: required, an integer of at least 1 (codes and refunds alike).
fn required_amount(m: &Map<String, Value>) -> Result<i64, ApiError> {
    match m.get("amount") {
        None | Some(Value::Null) => Err(ApiError::missing("amount").legacy(10102)),
        Some(v) => match v.as_i64() {
            Some(n) if n >= 1 => Ok(n),
            _ => Err(ApiError::invalid("amount").legacy(10102)),
        },
    }
}

/// Validates a createCode body, in the order elepay documents the fields.
pub(crate) fn new_code(body: &[u8]) -> Result<NewCode, ApiError> {
    let m = json_object(body)?;
    let amount = required_amount(&m)?;
    let order_no = match m.get("orderNo") {
        None | Some(Value::Null) => return Err(ApiError::missing("orderNo").legacy(40012)),
        Some(Value::String(s)) if s.is_empty() => {
            return Err(ApiError::missing("orderNo").legacy(40012))
        }
        Some(Value::String(s)) if s.chars().count() > 50 => {
            return Err(ApiError::invalid("orderNo").legacy(40021))
        }
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(ApiError::invalid("orderNo").legacy(40021)),
    };
    let currency = currency(&m)?;
    let expiry_minutes = match m.get("expiryDuration") {
        None | Some(Value::Null) => 10,
        Some(v) => match v.as_i64() {
            Some(n) if (3..=30).contains(&n) => n,
            _ => return Err(ApiError::invalid("expiryDuration")),
        },
    };
    let description = opt_string(&m, "description", 255)?;
    let front_url = match m.get("frontUrl") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if is_valid_url(s) => Some(s.clone()),
        Some(_) => return Err(ApiError::invalid("frontUrl")),
    };
    let items = items(&m)?;
    let metadata = string_map(&m, "metadata", true)?;
    let extra = string_map(&m, "extra", false)?;
    let location_id = opt_string(&m, "locationId", 32)?;
    opt_string(&m, "customerId", 32)?;
    opt_string(&m, "sourceId", 32)?;
    match m.get("shouldCreateSource") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => {}
        // Card-on-file registration is outside EasyQR payments.
        Some(Value::Bool(true)) => {
            return Err(ApiError::new(ErrorCode::M002005)
                .param("shouldCreateSource")
                .legacy(0))
        }
        Some(_) => return Err(ApiError::invalid("shouldCreateSource")),
    }
    Ok(NewCode {
        amount,
        currency,
        order_no,
        description,
        extra,
        metadata,
        expiry_minutes,
        front_url,
        items,
        location_id,
    })
}

/// Validates a createRefund body.
pub(crate) fn new_refund(body: &[u8]) -> Result<NewRefund, ApiError> {
    let m = json_object(body)?;
    let amount = required_amount(&m)?;
    Ok(NewRefund {
        amount,
        currency: currency(&m)?,
        metadata: string_map(&m, "metadata", true)?,
        reason: opt_string(&m, "reason", 255)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err_of(v: Value) -> ApiError {
        match new_code(v.to_string().as_bytes()) {
            Err(e) => e,
            Ok(c) => panic!("accepted {c:?}"),
        }
    }

    #[test]
    fn url_matcher_follows_regex() {
        assert!(is_valid_url("https://shop.example/done?x=1"));
        assert!(is_valid_url("http://a.b"));
        assert!(is_valid_url("http://ab"));
        assert!(!is_valid_url("http://a"));
        assert!(!is_valid_url("ftp://shop.example"));
        assert!(!is_valid_url("https://shop.example/done?"));
        assert!(!is_valid_url("https://shop.example/a b"));
        assert!(!is_valid_url("https://店.example"));
        assert!(!is_valid_url("https://shop.example."));
        assert!(!is_valid_url("https://"));
    }

    #[test]
    fn minimal_body_gets_defaults() {
        let c = new_code(br#"{"amount":500,"orderNo":"A1"}"#).expect("valid");
        assert_eq!(c.currency, "JPY");
        assert_eq!(c.expiry_minutes, 10);
        assert!(c.metadata.is_none());
    }

    #[test]
    fn each_field_is_named() {
        let cases = [
            (json!({"orderNo":"A"}), "M002001", "amount"),
            (json!({"amount":0,"orderNo":"A"}), "M002002", "amount"),
            (json!({"amount":1.5,"orderNo":"A"}), "M002002", "amount"),
            (json!({"amount":1}), "M002001", "orderNo"),
            (json!({"amount":1,"orderNo":""}), "M002001", "orderNo"),
            (
                json!({"amount":1,"orderNo":"x".repeat(51)}),
                "M002002",
                "orderNo",
            ),
            (
                json!({"amount":1,"orderNo":"A","currency":"USD"}),
                "M002009",
                "currency",
            ),
            (
                json!({"amount":1,"orderNo":"A","currency":"JP"}),
                "M002002",
                "currency",
            ),
            (
                json!({"amount":1,"orderNo":"A","expiryDuration":2}),
                "M002002",
                "expiryDuration",
            ),
            (
                json!({"amount":1,"orderNo":"A","expiryDuration":31}),
                "M002002",
                "expiryDuration",
            ),
            (
                json!({"amount":1,"orderNo":"A","frontUrl":"javascript:x"}),
                "M002002",
                "frontUrl",
            ),
            (
                json!({"amount":1,"orderNo":"A","items":[{"price":1,"count":1}]}),
                "M002001",
                "items.name",
            ),
            (
                json!({"amount":1,"orderNo":"A","items":[{"name":"a","price":1,"count":0}]}),
                "M002002",
                "items.count",
            ),
            (
                json!({"amount":1,"orderNo":"A","items":[{"name":"a","price":1,"count":1,"image":"x"}]}),
                "M002002",
                "items.image",
            ),
            (
                json!({"amount":1,"orderNo":"A","metadata":{"routeX":"1"}}),
                "M002002",
                "metadata",
            ),
            (
                json!({"amount":1,"orderNo":"A","metadata":{"__x":"1"}}),
                "M002002",
                "metadata",
            ),
            (
                json!({"amount":1,"orderNo":"A","metadata":{"k":1}}),
                "M002002",
                "metadata",
            ),
            (
                json!({"amount":1,"orderNo":"A","metadata":{"k":"é".repeat(128)}}),
                "M002002",
                "metadata",
            ),
            (
                json!({"amount":1,"orderNo":"A","extra":{"k".repeat(21):"v"}}),
                "M002002",
                "extra",
            ),
            (
                json!({"amount":1,"orderNo":"A","description":"d".repeat(256)}),
                "M002002",
                "description",
            ),
            (
                json!({"amount":1,"orderNo":"A","locationId":"l".repeat(33)}),
                "M002002",
                "locationId",
            ),
        ];
        for (body, code, param) in cases {
            let e = err_of(body.clone());
            assert_eq!(e.code.as_str(), code, "{body}");
            assert_eq!(e.param.as_deref(), Some(param), "{body}");
        }
        let many: Map<String, Value> = (0..21).map(|i| (format!("k{i}"), json!("v"))).collect();
        let e = err_of(json!({"amount":1,"orderNo":"A","metadata":many}));
        assert_eq!(e.param.as_deref(), Some("metadata"));
    }

    #[test]
    fn non_object_body_is_invalid_body() {
        for body in [&b"[]"[..], b"not json", b""] {
            let e = new_code(body).expect_err("must fail");
            assert_eq!(e.code, ErrorCode::M002002);
            assert_eq!(e.legacy, 40027);
            assert!(e.param.is_none());
        }
    }

    #[test]
    fn refund_body_rules() {
        assert_eq!(new_refund(br#"{"amount":5}"#).expect("ok").amount, 5);
        let e = new_refund(br#"{}"#).expect_err("missing");
        assert_eq!(
            (e.code, e.param.as_deref()),
            (ErrorCode::M002001, Some("amount"))
        );
        let e = new_refund(br#"{"amount":-1}"#).expect_err("neg");
        assert_eq!(e.code, ErrorCode::M002002);
        let e = new_refund(format!(r#"{{"amount":1,"reason":"{}"}}"#, "r".repeat(256)).as_bytes())
            .expect_err("long");
        assert_eq!(e.param.as_deref(), Some("reason"));
    }
}
