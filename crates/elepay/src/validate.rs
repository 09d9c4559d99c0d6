//! Checks done before a request leaves the machine, so a bad value gets a
//! message naming the field and what is allowed instead of a server round
//! trip (or worse, a half-understood server error).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{CodeReq, RefundReq};

/// A rejected value: which field, and what would have been accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {allowed}")]
pub struct ValidationError {
    /// The API field name (camelCase, dotted for nested: `items[0].image`).
    pub field: String,
    /// What is allowed, in words a person can act on.
    pub allowed: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, allowed: impl Into<String>) -> Self {
        ValidationError {
            field: field.into(),
            allowed: allowed.into(),
        }
    }
}

/// A payment amount in whole yen: an integer of at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Amount(i64);

impl Amount {
    /// Largest amount accepted locally (¥99,999,999): far above any QR wallet
    /// limit, low enough that totals cannot overflow.
    pub const MAX: i64 = 99_999_999;

    pub fn new(yen: i64) -> Result<Self, ValidationError> {
        if (1..=Self::MAX).contains(&yen) {
            Ok(Amount(yen))
        } else {
            Err(ValidationError::new(
                "amount",
                format!("a whole number of yen from 1 to {}", Self::MAX),
            ))
        }
    }

    pub fn yen(self) -> i64 {
        self.0
    }
}

/// A merchant order number: 1–50 printable characters without spaces.
/// elepay requires it unique per app; see the FAQ rules in PRODUCT.md.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct OrderNo(String);

impl OrderNo {
    pub const MAX_LEN: usize = 50;

    pub fn new(s: impl Into<String>) -> Result<Self, ValidationError> {
        let s = s.into();
        let n = s.chars().count();
        if n == 0 || n > Self::MAX_LEN {
            return Err(ValidationError::new(
                "orderNo",
                format!("1 to {} characters (got {n})", Self::MAX_LEN),
            ));
        }
        if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(ValidationError::new(
                "orderNo",
                "no spaces or control characters",
            ));
        }
        Ok(OrderNo(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for OrderNo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

const URL_ALLOWED: &str = "an http:// or https:// URL using only letters, digits and -+&@#/%?=~_|!:,.; (elepay's URL pattern), not ending in ?!:,.;";

/// Whole-string match of elepay's documented URL pattern
/// `https?://[-A-Za-z0-9+&@#/%?=~_|!:,.;]+[-A-Za-z0-9+&@#/%=~_|]`.
/// Anchored on purpose: a URL with a space or quote in the middle would
/// pass an unanchored search but break on the phone.
pub fn is_elepay_url(s: &str) -> bool {
    let rest = match s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    {
        Some(r) => r.as_bytes(),
        None => return false,
    };
    let body = |b: u8| b.is_ascii_alphanumeric() || b"-+&@#/%?=~_|!:,.;".contains(&b);
    let last = |b: u8| b.is_ascii_alphanumeric() || b"-+&@#/%=~_|".contains(&b);
    match rest.split_last() {
        Some((&end, head)) => !head.is_empty() && head.iter().all(|&b| body(b)) && last(end),
        None => false,
    }
}

/// ISO 4217 shape: three ASCII capital letters.
fn check_currency(c: &Option<String>) -> Result<(), ValidationError> {
    match c {
        Some(c) if !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())) => Err(
            ValidationError::new("currency", "three capital letters (ISO 4217), e.g. JPY"),
        ),
        _ => Ok(()),
    }
}

fn check_metadata(
    field: &str,
    m: &Option<BTreeMap<String, String>>,
    reserved_prefixes: bool,
) -> Result<(), ValidationError> {
    let Some(m) = m else { return Ok(()) };
    if m.len() > 20 {
        return Err(ValidationError::new(
            field,
            format!("at most 20 keys (got {})", m.len()),
        ));
    }
    for (k, v) in m {
        if k.is_empty() || k.chars().count() > 20 {
            return Err(ValidationError::new(
                format!("{field}.{k}"),
                "keys of 1 to 20 characters",
            ));
        }
        if reserved_prefixes && (k.starts_with("route") || k.starts_with("__")) {
            return Err(ValidationError::new(
                format!("{field}.{k}"),
                "keys must not start with \"route\" or \"__\" (reserved by elepay)",
            ));
        }
        if v.len() > 255 {
            return Err(ValidationError::new(
                format!("{field}.{k}"),
                format!("values of at most 255 bytes (got {})", v.len()),
            ));
        }
    }
    Ok(())
}

fn check_len(field: &str, v: &Option<String>, max: usize) -> Result<(), ValidationError> {
    match v {
        Some(s) if s.chars().count() > max => Err(ValidationError::new(
            field,
            format!("at most {max} characters"),
        )),
        _ => Ok(()),
    }
}

/// Longest code `description` elepay takes, in characters.
pub const DESCRIPTION_MAX: usize = 255;

/// elepay's rule for a code's `description`: a register checks it before
/// it records a sale, so a description elepay would refuse is never kept.
pub fn check_description(description: &str) -> Result<(), ValidationError> {
    check_len(
        "description",
        &Some(description.to_owned()),
        DESCRIPTION_MAX,
    )
}

/// Longest `locationId` elepay takes (FACTS.md §2.1).
pub const LOCATION_ID_MAX: usize = 32;

/// A store's `locationId` as the dashboard shows it: 1 to
/// [`LOCATION_ID_MAX`] ASCII letters, digits and symbols, no spaces. The
/// register's settings, HQ's stores and createCode all check it here.
pub fn check_location_id(location_id: &str) -> Result<(), ValidationError> {
    if location_id.is_empty()
        || location_id.len() > LOCATION_ID_MAX
        || !location_id.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(ValidationError::new(
            "locationId",
            format!("1 to {LOCATION_ID_MAX} ASCII letters, digits and symbols without spaces, as shown in the elepay dashboard"),
        ));
    }
    Ok(())
}

impl CodeReq {
    /// Every documented rule of CodeReq that the types do not already enforce.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_currency(&self.currency)?;
        if let Some(d) = self.expiry_duration {
            if !(3..=30).contains(&d) {
                return Err(ValidationError::new(
                    "expiryDuration",
                    format!("whole minutes from 3 to 30 (got {d})"),
                ));
            }
        }
        if let Some(u) = &self.front_url {
            if !is_elepay_url(u) {
                return Err(ValidationError::new("frontUrl", URL_ALLOWED));
            }
        }
        for (i, item) in self.items.iter().flatten().enumerate() {
            if item.name.trim().is_empty() {
                return Err(ValidationError::new(
                    format!("items[{i}].name"),
                    "a non-empty product name",
                ));
            }
            if item.price < 0 {
                return Err(ValidationError::new(
                    format!("items[{i}].price"),
                    "a whole number of yen, 0 or more",
                ));
            }
            if item.count < 1 {
                return Err(ValidationError::new(
                    format!("items[{i}].count"),
                    "a whole number, 1 or more",
                ));
            }
            if let Some(img) = &item.image {
                if !is_elepay_url(img) {
                    return Err(ValidationError::new(
                        format!("items[{i}].image"),
                        URL_ALLOWED,
                    ));
                }
            }
        }
        check_metadata("metadata", &self.metadata, true)?;
        check_metadata("extra", &self.extra, false)?;
        if let Some(d) = &self.description {
            check_description(d)?;
        }
        if let Some(l) = &self.location_id {
            check_location_id(l)?;
        }
        Ok(())
    }
}

impl RefundReq {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_currency(&self.currency)?;
        check_metadata("metadata", &self.metadata, true)?;
        check_len("reason", &self.reason, 255)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CodeItem;

    fn req() -> CodeReq {
        CodeReq::new(
            Amount::new(1280).unwrap(),
            OrderNo::new("S1-R1-20261128-0001").unwrap(),
        )
    }

    #[test]
    fn amount_bounds() {
        assert!(Amount::new(1).is_ok());
        let e = Amount::new(0).unwrap_err();
        assert_eq!(e.field, "amount");
        assert!(Amount::new(-5).is_err());
        assert!(Amount::new(Amount::MAX + 1).is_err());
    }

    #[test]
    fn order_no_bounds() {
        assert!(OrderNo::new("a".repeat(50)).is_ok());
        let e = OrderNo::new("a".repeat(51)).unwrap_err();
        assert_eq!(e.field, "orderNo");
        assert!(e.allowed.contains("51"));
        assert!(OrderNo::new("").is_err());
        assert!(OrderNo::new("A 1").is_err());
    }

    #[test]
    fn url_pattern_is_anchored() {
        for ok in [
            "https://shop.example.jp/thanks?order=S1-0001",
            "http://192.168.1.5:8080/done",
            "https://a.jp/x#frag",
        ] {
            assert!(is_elepay_url(ok), "{ok}");
        }
        for bad in [
            "ftp://a.jp/x",
            "https://",
            "https://a",
            "https://a.jp/x.",
            "https://a.jp/x y",
            "https://a.jp/\"x",
            "javascript:alert(1)",
            "https://店.jp/",
        ] {
            assert!(!is_elepay_url(bad), "{bad}");
        }
    }

    #[test]
    fn code_req_rules_name_the_field() {
        let mut r = req();
        assert!(r.validate().is_ok());

        r.expiry_duration = Some(2);
        assert_eq!(r.validate().unwrap_err().field, "expiryDuration");
        r.expiry_duration = Some(31);
        assert_eq!(r.validate().unwrap_err().field, "expiryDuration");
        r.expiry_duration = Some(30);
        assert!(r.validate().is_ok());

        r.front_url = Some("https://x.jp/a b".into());
        assert_eq!(r.validate().unwrap_err().field, "frontUrl");
        r.front_url = None;

        r.currency = Some("jpy".into());
        assert_eq!(r.validate().unwrap_err().field, "currency");
        r.currency = Some("JPY".into());

        r.items = Some(vec![CodeItem {
            name: "コーヒー".into(),
            image: Some("not a url".into()),
            price: 300,
            count: 1,
        }]);
        assert_eq!(r.validate().unwrap_err().field, "items[0].image");
        r.items = None;

        let mut m: BTreeMap<String, String> =
            (0..21).map(|i| (format!("k{i}"), "v".into())).collect();
        r.metadata = Some(m.clone());
        assert_eq!(r.validate().unwrap_err().field, "metadata");
        m = BTreeMap::from([("routeX".into(), "v".into())]);
        r.metadata = Some(m);
        assert_eq!(r.validate().unwrap_err().field, "metadata.routeX");
        r.metadata = Some(BTreeMap::from([("__x".into(), "v".into())]));
        assert_eq!(r.validate().unwrap_err().field, "metadata.__x");
        r.metadata = Some(BTreeMap::from([("k".into(), "é".repeat(128))]));
        assert!(r.validate().unwrap_err().allowed.contains("255 bytes"));
        r.metadata = Some(BTreeMap::from([("register".into(), "R1".into())]));
        assert!(r.validate().is_ok());
    }

    #[test]
    fn a_location_id_is_1_to_32_printable_ascii_characters() {
        assert!(check_location_id(&"l".repeat(LOCATION_ID_MAX)).is_ok());
        assert!(check_location_id("loc_shibuya-01.A").is_ok());
        for bad in ["", "loc a", "店舗", &"l".repeat(LOCATION_ID_MAX + 1)] {
            assert_eq!(check_location_id(bad).unwrap_err().field, "locationId");
        }
    }
}
