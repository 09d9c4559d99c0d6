//! Secret keys of the simulated app and `Authorization` header checking.

use base64::Engine;

use crate::errors::{ApiError, ErrorCode};

#[derive(Debug, Clone)]
struct KeyEntry {
    key: String,
    /// Sim time from which the key is rejected (set by rotation).
    valid_until: Option<i64>,
}

/// The app's accepted secret keys.
#[derive(Debug, Default)]
pub(crate) struct KeyRing {
    keys: Vec<KeyEntry>,
}

/// Who called: enough to stamp `liveMode` and partition data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Caller {
    pub(crate) live_mode: bool,
}

/// Checks that a configured key looks like a secret key.
pub(crate) fn check_secret_key_shape(key: &str) -> Result<(), String> {
    if key.starts_with("pk_") {
        return Err(format!(
            "{key:?} is a publishable key; publishable keys are only for the JS SDK, the Code API needs a secret key (sk_test_... / sk_live_...)"
        ));
    }
    if !key.starts_with("sk_") || key.len() <= 3 || key.contains(char::is_whitespace) {
        return Err(format!(
            "{key:?} is not a secret key (expected sk_test_... or sk_live_...)"
        ));
    }
    Ok(())
}

impl KeyRing {
    /// Adds a key (or makes an existing one permanent again).
    pub(crate) fn add(&mut self, key: &str) {
        match self.keys.iter_mut().find(|k| k.key == key) {
            Some(k) => k.valid_until = None,
            None => self.keys.push(KeyEntry {
                key: key.to_owned(),
                valid_until: None,
            }),
        }
    }

    /// Dashboard "regenerate key": old keys keep working until `now + overlap`.
    pub(crate) fn rotate(&mut self, new_key: &str, now: i64, overlap_ms: i64) {
        let deadline = now.saturating_add(overlap_ms.max(0));
        for k in self.keys.iter_mut().filter(|k| k.key != new_key) {
            k.valid_until = Some(k.valid_until.map_or(deadline, |d| d.min(deadline)));
        }
        self.add(new_key);
    }

    fn is_valid(&self, key: &str, now: i64) -> bool {
        self.keys
            .iter()
            .any(|k| k.key == key && k.valid_until.is_none_or(|d| now < d))
    }

    /// Authenticates an `Authorization` header value.
    pub(crate) fn authenticate(&self, header: Option<&[u8]>, now: i64) -> Result<Caller, ApiError> {
        let key = parse_authorization(header)?;
        if key.starts_with("pk_") {
            return Err(ApiError::new(ErrorCode::M004003));
        }
        if !self.is_valid(&key, now) {
            return Err(ApiError::new(ErrorCode::M004001));
        }
        Ok(Caller {
            live_mode: key.starts_with("sk_live_"),
        })
    }
}

/// Extracts the key from `Basic base64(key:)` or `Bearer key`.
fn parse_authorization(header: Option<&[u8]>) -> Result<String, ApiError> {
    let missing = || ApiError::new(ErrorCode::M004002);
    let value = std::str::from_utf8(header.ok_or_else(missing)?).map_err(|_| missing())?;
    let (scheme, rest) = value.trim().split_once(' ').ok_or_else(missing)?;
    let rest = rest.trim();
    let key = if scheme.eq_ignore_ascii_case("basic") {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(rest))
            .map_err(|_| missing())?;
        let text = String::from_utf8(raw).map_err(|_| missing())?;
        // User name = key; the password part is empty (and may be omitted).
        match text.split_once(':') {
            Some((user, _)) => user.to_owned(),
            None => text,
        }
    } else if scheme.eq_ignore_ascii_case("bearer") {
        rest.to_owned()
    } else {
        return Err(missing());
    };
    if key.is_empty() {
        return Err(missing());
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(s: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(s)
        )
    }

    fn code_of(ring: &KeyRing, h: Option<&str>, now: i64) -> Result<Caller, &'static str> {
        ring.authenticate(h.map(str::as_bytes), now)
            .map_err(|e| e.code.as_str())
    }

    #[test]
    fn schemes_and_errors() {
        let mut ring = KeyRing::default();
        ring.add("sk_test_a");
        ring.add("sk_live_b");
        let ok = Ok(Caller { live_mode: false });
        assert_eq!(code_of(&ring, Some(&basic("sk_test_a:")), 0), ok);
        assert_eq!(code_of(&ring, Some(&basic("sk_test_a")), 0), ok);
        assert_eq!(code_of(&ring, Some("bEaReR sk_test_a"), 0), ok);
        assert_eq!(
            code_of(&ring, Some("Bearer sk_live_b"), 0),
            Ok(Caller { live_mode: true })
        );
        assert_eq!(code_of(&ring, None, 0), Err("M004002"));
        assert_eq!(code_of(&ring, Some("Token x"), 0), Err("M004002"));
        assert_eq!(code_of(&ring, Some("Basic !!!"), 0), Err("M004002"));
        assert_eq!(
            code_of(&ring, Some("Bearer sk_test_zzz"), 0),
            Err("M004001")
        );
        assert_eq!(code_of(&ring, Some("Bearer pk_test_a"), 0), Err("M004003"));
    }

    #[test]
    fn rotation_keeps_old_key_for_overlap() {
        let mut ring = KeyRing::default();
        ring.add("sk_test_old");
        ring.rotate("sk_test_new", 1_000, 500);
        assert!(ring.is_valid("sk_test_old", 1_499));
        assert!(!ring.is_valid("sk_test_old", 1_500));
        assert!(ring.is_valid("sk_test_new", 1_000_000));
        // A later rotation never extends an earlier deadline.
        ring.rotate("sk_test_newer", 1_100, 10_000);
        assert!(!ring.is_valid("sk_test_old", 1_500));
        assert!(ring.is_valid("sk_test_new", 11_099));
    }

    #[test]
    fn configured_key_shape() {
        assert!(check_secret_key_shape("sk_test_abc").is_ok());
        assert!(check_secret_key_shape("pk_test_abc")
            .expect_err("pk")
            .contains("publishable"));
        assert!(check_secret_key_shape("abc").is_err());
    }
}
