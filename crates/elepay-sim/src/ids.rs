//! Random identifiers in elepay's `prefix_` + hex style.

use rand::Rng;

/// `prefix` followed by 24 lowercase hex digits (≤ 32 chars for short prefixes).
pub(crate) fn new_id(prefix: &str) -> String {
    let bytes: [u8; 12] = rand::rng().random();
    format!("{prefix}{}", hex::encode(bytes))
}

/// Provider-style slip number: 12 decimal digits.
pub(crate) fn voucher_no() -> String {
    let mut rng = rand::rng();
    (0..12)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_prefix_and_hex() {
        let id = new_id("cod_");
        assert_eq!(id.len(), 28);
        assert!(id[4..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(new_id("cod_"), id);
        let v = voucher_no();
        assert_eq!(v.len(), 12);
        assert!(v.chars().all(|c| c.is_ascii_digit()));
    }
}
