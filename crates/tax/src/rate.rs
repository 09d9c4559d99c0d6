use serde::{Deserialize, Serialize};

use crate::InputError;

/// A consumption-tax rate, by elepay's `TaxRateType` name.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum TaxRate {
    /// 10 %.
    #[default]
    Standard,
    /// 8 % (軽減税率: food and drink to take away, newspapers).
    Reduced,
    /// 0 % (非課税/不課税 items).
    Free,
}

impl TaxRate {
    /// Every rate, in the order receipts and reports list them.
    pub const ALL: [TaxRate; 3] = [TaxRate::Standard, TaxRate::Reduced, TaxRate::Free];

    pub fn percent(self) -> i64 {
        match self {
            TaxRate::Standard => 10,
            TaxRate::Reduced => 8,
            TaxRate::Free => 0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TaxRate::Standard => "standard",
            TaxRate::Reduced => "reduced",
            TaxRate::Free => "free",
        }
    }

    /// "10%", "8%", "0%".
    pub fn label(self) -> String {
        format!("{}%", self.percent())
    }

    /// Reads one of the three names; anything else names `field` and the
    /// three allowed values.
    pub fn parse(field: &str, text: &str) -> Result<TaxRate, InputError> {
        match text.trim() {
            "standard" => Ok(TaxRate::Standard),
            "reduced" => Ok(TaxRate::Reduced),
            "free" => Ok(TaxRate::Free),
            other => Err(InputError::new(
                field,
                format!(
                    "one of standard (10%), reduced (8%) or free (0%), not {:?}",
                    truncate(other)
                ),
            )),
        }
    }
}

impl std::fmt::Display for TaxRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// At most 24 characters of a refused value, for messages.
pub(crate) fn truncate(s: &str) -> String {
    let mut t: String = s.chars().take(24).collect();
    if s.chars().count() > 24 {
        t.push('…');
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_names_and_nothing_else() {
        for r in TaxRate::ALL {
            assert_eq!(TaxRate::parse("rate", r.as_str()).unwrap(), r);
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{r}\""));
        }
        for bad in ["10", "8%", "Standard", "exempt", ""] {
            let e = TaxRate::parse("items[1].rate", bad).unwrap_err();
            assert_eq!(e.field, "items[1].rate");
            assert!(e.allowed.contains("standard (10%)"), "{e}");
        }
        assert_eq!(TaxRate::Reduced.label(), "8%");
    }
}
