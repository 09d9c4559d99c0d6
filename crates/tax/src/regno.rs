//! The invoice registration number (適格請求書発行事業者登録番号).
//!
//! The National Tax Agency publishes its form: `T` + the 法人番号 for a
//! corporation, `T` + 13 digits for anyone else (individuals: not the My
//! Number, and never equal to a 法人番号). A 法人番号's first digit is a check
//! digit over the other twelve; the NTA does not say that an individual's
//! number follows that rule, so a mismatch is only warned about, never
//! refused.

use serde::{Serialize, Serializer};

use crate::rate::truncate;
use crate::InputError;

/// `T` + 13 digits, normalised (full-width characters, spaces and hyphens
/// as typed are accepted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationNumber(String);

/// Something a person should check, though it is not refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Warning {
    pub field: String,
    pub message: String,
}

impl RegistrationNumber {
    /// Reads a number as typed; answers it with a warning when its check
    /// digit does not follow the 法人番号 rule.
    pub fn parse(
        field: &str,
        text: &str,
    ) -> Result<(RegistrationNumber, Option<Warning>), InputError> {
        let norm: String = text
            .chars()
            .map(to_half_width)
            .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
            .collect();
        let digits = norm
            .strip_prefix('T')
            .or_else(|| norm.strip_prefix('t'))
            .filter(|d| d.len() == 13 && d.bytes().all(|b| b.is_ascii_digit()));
        let Some(digits) = digits else {
            return Err(InputError::new(
                field,
                format!(
                    "T followed by 13 digits (e.g. T7000012050002), not {:?}",
                    truncate(text.trim())
                ),
            ));
        };
        let warning = (!check_digit_matches(digits)).then(|| Warning {
            field: field.to_owned(),
            message: format!(
                "{field}: T{digits}'s first digit is not the check digit a 法人番号 has; \
                 a corporation's number always has it (an individual's may not): \
                 please compare it with your registration notice"
            ),
        });
        Ok((RegistrationNumber(format!("T{digits}")), warning))
    }

    /// "T7000012050002".
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for RegistrationNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// The 法人番号 rule: with P(n) the n-th digit of the 12-digit base counted
/// from its last digit and Q(n) = 1 for odd n, 2 for even n, the check
/// digit is 9 - (Σ P(n)·Q(n) mod 9).
fn check_digit_matches(digits: &str) -> bool {
    let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = d[1..]
        .iter()
        .rev()
        .enumerate()
        .map(|(i, p)| p * if i % 2 == 0 { 1 } else { 2 })
        .sum();
    d[0] == 9 - sum % 9
}

fn to_half_width(c: char) -> char {
    match c {
        '０'..='９' | 'Ｔ' | 'ｔ' | '－' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        'ー' | '‐' | '−' => '-',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corporation_number_reads_without_warning() {
        // The NTA's own 法人番号 is 7000012050002.
        for typed in [
            "T7000012050002",
            "t7000012050002",
            " Ｔ７０００ー０１２０ー５０００２ ",
            "T7-0000-1205-0002",
        ] {
            let (n, w) = RegistrationNumber::parse("invoice.registrationNumber", typed).unwrap();
            assert_eq!(n.as_str(), "T7000012050002", "{typed}");
            assert_eq!(w, None, "{typed}");
        }
        assert_eq!(
            serde_json::to_string(&RegistrationNumber::parse("f", "T7000012050002").unwrap().0)
                .unwrap(),
            "\"T7000012050002\""
        );
    }

    #[test]
    fn a_wrong_check_digit_is_warned_about_not_refused() {
        let (n, w) =
            RegistrationNumber::parse("invoice.registrationNumber", "T1000012050002").unwrap();
        assert_eq!(n.as_str(), "T1000012050002");
        let w = w.unwrap();
        assert_eq!(w.field, "invoice.registrationNumber");
        assert!(w.message.contains("check digit"), "{}", w.message);
    }

    #[test]
    fn the_form_is_refused_naming_the_field() {
        for bad in [
            "7000012050002",
            "T700001205000",
            "T70000120500021",
            "X7000012050002",
            "T70000120500O2",
            "",
        ] {
            let e = RegistrationNumber::parse("invoice.registrationNumber", bad).unwrap_err();
            assert_eq!(e.field, "invoice.registrationNumber");
            assert!(e.allowed.contains("T followed by 13 digits"), "{e}");
        }
    }

    #[test]
    fn the_check_digit_rule() {
        assert!(check_digit_matches("7000012050002"));
        // Every base has exactly one matching first digit.
        for base in ["000000000001", "123456789012", "999999999999"] {
            let ok: Vec<u32> = (0..=9)
                .filter(|c| check_digit_matches(&format!("{c}{base}")))
                .collect();
            assert_eq!(ok.len(), 1, "{base}");
        }
    }
}
